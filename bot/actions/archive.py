"""`/ledgerlink archive company …` and `restore company …`: hide a QuickBooks vendor nobody uses from the
companies list and pickers, or bring it back (the engine checks the seed's Admin row and audits it)."""

from __future__ import annotations

from bot.actions.common import Confirm, tenant_context
from bot.identity import Identity
from bot.services import lookup, pickers
from bot.services.runtime import Services
from core.domain.permissions import Perm, check
from sync.services import companies


def archive(svc: Services, me: Identity, ref: str, *, restore: bool, confirmed: bool) -> Confirm | str:
    """Archive (or restore) one QuickBooks vendor by id or name; archiving asks first."""
    check(me.actor, Perm.ARCHIVE_ERP_COMPANY)
    ctx = tenant_context(svc, me.tenant_id)
    vendor = lookup.find_record(svc.engine, me.tenant_id, pickers.QBO_VENDOR_PICK, ref)
    if restore:
        row = companies.restore_company(ctx, me.actor, qbo_vendor_id=vendor.value)
        return f":leftwards_arrow_with_hook: Restored QuickBooks vendor {row.name} to the companies list."
    if not confirmed:
        return Confirm(f"Archive QuickBooks vendor *{vendor.title}*? It leaves the companies list and the pickers; "
                       f"`/ledgerlink restore company {vendor.value}` brings it back.", "Archive")
    row = companies.archive_company(ctx, me.actor, qbo_vendor_id=vendor.value)
    return (f":file_cabinet: Archived QuickBooks vendor {row.name}. `/ledgerlink restore company {row.remote_id}` "
            "brings it back.")
