"""`ledgerlink sync procore-webhook`: check Ledgerlink's Procore webhook and repair it (scheduled; also run when
Procore is connected). Without PROCORE_WEBHOOK_SECRET there is nothing to register: the report says so and the
polling jobs carry the sync alone."""

from __future__ import annotations

from sync.context import TenantContext
from sync.jobs.base import JobReport, register
from sync.procore import subscription


@register
class ProcoreWebhookJob:
    name = "procore-webhook"
    description = "Ledgerlink's Procore webhook (hook + a trigger per followed resource): register or repair it"

    def run(self, ctx: TenantContext, *, dry_run: bool = False) -> JobReport:
        report = JobReport(self.name, dry_run=dry_run)
        settings = ctx.settings
        secret = settings.procore_webhook_secret if settings is not None else None
        if settings is None or secret is None:
            report.add("skip", "Procore webhook", "company hook", "PROCORE_WEBHOOK_SECRET is not set; polling only")
            return report
        if dry_run:
            return report
        state = subscription.ensure(ctx.procore, public_url=settings.public_url, secret=secret.get_secret_value())
        if state.created_hook or state.added or state.removed_hooks:
            report.add("update", "Procore webhook", f"hook {state.hook_id}", state.sentence())
        report.stats["webhook_hook_id"] = state.hook_id
        return report
