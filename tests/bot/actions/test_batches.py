"""The one-bulk-send-per-person claim of bot/actions/batches.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.actions.batches import LOCK_SOURCE, LOCK_STALE, _one_at_a_time
from core.domain.errors import InvalidInput
from core.models import ProcessedWebhook, utcnow


def test_a_second_bulk_send_waits_for_the_first_and_a_stale_claim_is_taken_over(engine):
    with _one_at_a_time(engine, "send_together:1:7"):
        with pytest.raises(InvalidInput, match="still sending"), _one_at_a_time(engine, "send_together:1:7"):
            pass
        with _one_at_a_time(engine, "send_together:1:8"):  # someone else is not held up
            pass
    with _one_at_a_time(engine, "send_together:1:7"):  # released when done
        pass
    with Session(engine) as s:
        assert s.exec(select(ProcessedWebhook).where(ProcessedWebhook.source == LOCK_SOURCE)).all() == []
        # a process that died while sending left its claim behind
        s.add(ProcessedWebhook(source=LOCK_SOURCE, dedupe_key="send_together:1:7",
                               received_at=utcnow() - LOCK_STALE - timedelta(minutes=1)))
        s.commit()
    with _one_at_a_time(engine, "send_together:1:7"):
        pass
