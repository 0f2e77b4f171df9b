"""`/ledgerlink duplicates`: the likely duplicate companies (the engine's suggestions: same tax id, name, phone,
e-mail or a similar name) with a button per thing to do — consolidate, link, remove (archive) — and "Not a
duplicate", which hides the pair for good. Every button's decision is audited (the engine's for link/archive;
here for "not a duplicate", whose audit row is also what keeps the pair hidden)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from sqlmodel import Session, select

from bot.actions.common import tenant_context
from bot.identity import Identity
from bot.services.runtime import Services
from core.domain import audit
from core.domain.errors import InvalidInput
from core.domain.permissions import Perm, check
from core.models import AuditEvent
from sync.services import companies

NOT_DUPLICATE = "not_a_duplicate"
#: who may press each button: the engine's own rows (link: Standard; remove = archive: Admin)
PERMS = {"link": Perm.LINK_COMPANIES, "consolidate": Perm.LINK_COMPANIES, "remove": Perm.ARCHIVE_ERP_COMPANY,
         NOT_DUPLICATE: Perm.LINK_COMPANIES}


@dataclass(frozen=True)
class Choice:
    kind: str  # link | consolidate | remove | not_a_duplicate
    label: str
    value: str  # what the button carries back (JSON)


@dataclass(frozen=True)
class Pair:
    sentence: str
    choices: list[Choice]


def _key(a: companies.CompanyRow, b: companies.CompanyRow) -> str:
    return "|".join(sorted((f"{a.system}:{a.remote_id}", f"{b.system}:{b.remote_id}")))


def _dismissed(svc: Services, tenant_id: int) -> set[str]:
    with Session(svc.engine) as s:
        return {(e.detail or {}).get("pair", "") for e in s.exec(select(AuditEvent).where(
            AuditEvent.tenant_id == tenant_id, AuditEvent.action == NOT_DUPLICATE))}


def review(svc: Services, me: Identity, *, limit: int = 20) -> list[Pair]:
    """The pairs to review, best first, without those someone said are not duplicates."""
    ctx = tenant_context(svc, me.tenant_id)
    hidden = _dismissed(svc, me.tenant_id)
    out = []
    for sug in companies.duplicate_suggestions(ctx, me.actor):
        pair = _key(sug.a, sug.b)
        if pair in hidden:
            continue
        choices = [Choice(a.kind, a.label, json.dumps({"do": a.kind, **asdict(a)})) for a in sug.actions]
        choices.append(Choice(NOT_DUPLICATE, "Not a duplicate", json.dumps({"do": NOT_DUPLICATE, "pair": pair,
                                                                             "names": [sug.a.name, sug.b.name]})))
        out.append(Pair(sug.sentence, choices))
        if len(out) >= limit:
            break
    return out


def decide(svc: Services, me: Identity, value: str) -> str:
    """Do what one button of the list says; returns the sentence to show."""
    try:
        data = json.loads(value)
        kind = data.pop("do")
    except (ValueError, KeyError, AttributeError):
        raise InvalidInput("That button is from an older list; run `/ledgerlink duplicates` again.") from None
    if kind not in PERMS:
        raise InvalidInput(f"Ledgerlink doesn't know the duplicate action '{kind}'.")
    check(me.actor, PERMS[kind])
    ctx = tenant_context(svc, me.tenant_id)
    if kind == NOT_DUPLICATE:
        with Session(svc.engine) as s:
            audit.record(s, tenant_id=me.tenant_id, actor=me.actor, action=NOT_DUPLICATE,
                         detail={"pair": data.get("pair"), "names": data.get("names")})
            s.commit()
        return f":white_check_mark: Noted: {' and '.join(data.get('names') or ())} are different companies."
    return companies.apply_suggestion(ctx, me.actor, companies.SuggestedAction(**data))
