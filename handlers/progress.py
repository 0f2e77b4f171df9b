"""One ephemeral message that says "Working…" at once and is replaced with progress, then the result.

A slash command's response_url takes 5 posts in 30 minutes (Slack's limit): "Working…", at most two
heartbeats or progress counts, and the result fit in that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_bolt import Respond

from blocks.cards import Message
from blocks.text import escape
from bot.actions import common
from bot.services.runtime import Services


class Progress:
    """One message replaced as work goes on: 'Working…', a heartbeat or counts, then the result (≤ 5 uses of
    the response_url, Slack's limit)."""

    BEATS = (5.0, 15.0)

    def __init__(self, respond: Respond, label: str) -> None:
        self.respond, self.label, self.started = respond, label, time.monotonic()
        self.lock, self.finished, self.counts = threading.Lock(), threading.Event(), {}
        respond(text=f":hourglass_flowing_sand: Working on {escape(label)}…")
        threading.Thread(target=self._beat, daemon=True, name="ll-progress").start()

    def update(self, counts: dict[str, int]) -> None:
        self.counts = dict(counts)

    def _beat(self) -> None:
        for delay in self.BEATS:
            if self.finished.wait(delay):
                return
            with self.lock:
                if self.finished.is_set():
                    return
                done = ", ".join(f"{n} {k}" for k, n in self.counts.items())
                self.respond(replace_original=True,
                             text=f":hourglass_flowing_sand: Still working on {escape(self.label)}… "
                                  f"({int(time.monotonic() - self.started)} s{'; ' + done if done else ''})")

    def done(self, message: Message | str) -> None:
        with self.lock:
            self.finished.set()
            msg = message if isinstance(message, Message) else Message(text=escape(message, keep_mentions=True))
            self.respond(replace_original=True, text=msg.text, blocks=[b.to_dict() for b in msg.blocks] or None)


def run_long(svc: Services, respond: Respond, label: str, work: Callable[[Progress], Message | str]) -> None:
    """Say Working… now; run `work` in the background and put its result (or a sentence) in that message."""
    progress = Progress(respond, label)

    def run() -> None:
        try:
            progress.done(work(progress))
        except common.SENTENCE_ERRORS as exc:
            progress.done(f":x: {common.sentence_of(exc)}")
        except Exception:
            progress.done(f":x: {label.capitalize()} stopped on an error on Ledgerlink's side; it's logged. "
                          "Try again in a few minutes.")
            raise
    svc.submit(run)
