"""Many items' Slack cards at once. The harness's `slack.card(item)` reads the item and then its whole channel
for one card; over 100 cards (polled ten times a second while waiting for them to turn green) that read the
channel 100 times a poll. `cards` reads each channel once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, select

from core.models import Item


def cards(slack: Any, items: Iterable[Item]) -> dict[int, dict]:
    """Each item's card as Slack shows it now (the posted message, not an ephemeral), by item id."""
    ids = [i.id for i in items]
    with Session(slack.engine) as s:
        fresh = list(s.exec(select(Item).where(Item.id.in_(ids))))  # type: ignore[union-attr]
    by_channel: dict[str, list[Item]] = defaultdict(list)
    for item in fresh:
        by_channel[item.card_channel].append(item)
    found: dict[int, dict] = {}
    for channel, members in by_channel.items():
        posted = {m["ts"]: m for m in slack.messages(channel) if not m["_sandbox"]["ephemeral_to"]}
        found.update({i.id: posted[i.card_ts] for i in members if i.card_ts in posted})
    missing = sorted(set(ids) - set(found))
    assert not missing, f"no card for items {missing}"
    return found


def all_say(slack: Any, items: Iterable[Item], words: str) -> bool:
    """Every item's card says `words`."""
    return all(words in slack.text(card) for card in cards(slack, items).values())
