"""A worker killed at one step of an outbox write and another one taking over after the claim went stale."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from core.models import utcnow
from sync.outbox import Outbox

KILL_POINTS = ["before_call", "after_call", "before_commit", "after_commit"]


class Crash(BaseException):
    """The worker process dying at a kill point."""


def crash_then_recover(engine: Engine, operations: Mapping[str, Any], kill_at: str) -> None:
    """Drain until the worker dies at `kill_at`, then drain again as another worker ten minutes later."""

    def die(where: str) -> None:
        if where == kill_at:
            raise Crash(where)

    with pytest.raises(Crash):
        Outbox(engine, operations, worker_id="w1", kill_point=die).drain()
    later = utcnow() + timedelta(minutes=10)
    Outbox(engine, operations, worker_id="w2", clock=lambda: later).drain()
