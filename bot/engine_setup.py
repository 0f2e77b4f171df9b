"""The engine as the running bot sets it up: a TenantContext per tenant, and the outbox that runs their writes.

The worker, the Slack app (its drain after an accept) and the demo all run the same outbox from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from core.config import Settings
from sync.context import TenantContext, token_store
from sync.writes.batching import BatchingOutbox
from sync.writes.invoices import use_sheet_renderer


def context_factory(engine: Engine, settings: Settings) -> Callable[[int], TenantContext]:
    """tenant id → TenantContext with clients made from the tenant's stored connections."""
    cache: dict[str, Any] = {}

    def context_for(tenant_id: int) -> TenantContext:
        if "tokens" not in cache:
            cache["tokens"] = token_store(engine, settings)
        return TenantContext(engine=engine, tenant_id=tenant_id, settings=settings, tokens=cache["tokens"])

    return context_for


def render_summary_sheet(sheet: Mapping[str, Any]) -> bytes:
    """`blocks.pdf.render_summary_sheet`, imported at the first sheet drawn."""
    # deferred: fpdf2 (fontTools, PIL, numpy) costs ~0.5 s of CPU at every web and worker start; few draw a sheet
    from blocks.pdf import render_summary_sheet as render

    return render(sheet)


def engine_outbox(engine: Engine, operations: Any, *, context_for: Callable[[int], Any], worker_id: str,
                  claim_timeout: timedelta | None = None, **hooks: Any) -> BatchingOutbox:
    """The outbox the worker, the Slack app and the demo all run: bulk Bills go 30 to a QBO /batch request, and
    the owner-invoice summary sheet renderer (blocks/, which sync/ may not import) is installed. `hooks`:
    the outbox's on_held / on_recorded (sync/outbox.py)."""
    use_sheet_renderer(render_summary_sheet)
    extra = {"claim_timeout": claim_timeout} if claim_timeout is not None else {}
    return BatchingOutbox(engine, operations, context_for=context_for, worker_id=worker_id, **extra, **hooks)
