"""The demo tenant of `ledgerlink run`: a QBO realm and a Procore company in the sandboxes, a Tenant linked to both
with real (sandbox-issued) OAuth tokens, the Slack sandbox's people as users, the links invoices need, the invoices
ingested by the engine's jobs, and a few items sent for acceptance so approval cards wait in #accounting.

The QBO records made here (a parent customer, one QBO project per Procore project, vendors and Service items) are
the *scenery* a bookkeeper would already have in QuickBooks; they are written straight to the sandbox, like the
sandbox's own sample data. Everything after that goes through the engine: jobs, binder, services, notifier.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.actions import send
from bot.engine_setup import engine_outbox
from bot.notify import Notifier
from bot.services.runtime import Services
from bot.slack_clients import links_for, make_web_client
from core.config import Settings
from core.domain.workflow import Workflow, actor_for_user
from core.models import Item, Tenant, TenantSettings, User
from sync import binder
from sync.context import TenantContext, token_store
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.services.companies import link_company
from sync.services.projects import link_erp_job
from sync.tokens import TokenSet

logger = logging.getLogger(__name__)

#: Slack sandbox people (by e-mail local part) → (permission, approver)
PEOPLE = {
    "dana": ("standard", True),
    "sam": ("standard", False),
    "alex": ("admin", False),
    "riley": ("read_only", False),
    "jordan": ("standard", True),
    "morgan": ("standard", False),
}
SENDS = 3  # sub invoices sent for acceptance (plus one owner invoice when one is ready)


@dataclass
class Urls:
    qbo: str
    procore: str
    slack: str


def existing_tenant(engine: Engine) -> Tenant | None:
    with Session(engine) as s:
        return s.exec(select(Tenant).order_by(Tenant.id)).first()


def _admin(base: str, path: str, **body) -> dict:
    r = httpx.post(f"{base}/_sandbox/{path}", json=body, timeout=60)
    r.raise_for_status()
    return r.json()


def _get(base: str, path: str, **params) -> dict:
    r = httpx.get(f"{base}/_sandbox/{path}", params=params, timeout=30)
    r.raise_for_status()
    return r.json()


def _email(user: dict) -> str:
    return (user.get("profile") or {}).get("email") or user.get("email") or ""


def _name(user: dict) -> str:
    return user.get("real_name") or (user.get("profile") or {}).get("real_name") or user.get("name") or ""


def seed(engine: Engine, settings: Settings, urls: Urls, say: Callable[[str], None] = print) -> Tenant:
    """Create the demo tenant (call only when there is none)."""
    slack = _get(urls.slack, "info")
    companies = _get(urls.procore, "records/companies")
    records = companies.get("records", companies) if isinstance(companies, dict) else companies
    company = next((c for c in records if c.get("name") == "Summit Builders"), None)
    if company is None:
        company = _admin(urls.procore, "companies", name="Summit Builders", seed="demo")
    company_id = int(company["id"])
    realm_id = _admin(urls.qbo, "realms", company_name="Summit Builders", seed=True)["realm_id"]
    say(f"  QuickBooks realm {realm_id}, Procore company {company_id} (Summit Builders)")

    with Session(engine, expire_on_commit=False) as s:
        tenant = Tenant(name="Summit Builders", slack_team_id=slack["team"]["id"], procore_company_id=company_id,
                        qbo_realm_id=realm_id, timezone="America/Denver")
        s.add(tenant)
        s.flush()
        s.add(TenantSettings(tenant_id=tenant.id, approvers_channel="#accounting"))
        for u in slack["users"]:
            local = _email(u).split("@")[0].lower()
            if local not in PEOPLE or u.get("is_bot"):
                continue
            level, approver = PEOPLE[local]
            s.add(User(tenant_id=tenant.id, slack_user_id=u["id"], email=_email(u), name=_name(u),
                       permission=level, can_push_to_accounting=approver))
        s.commit()

    store = token_store(engine, settings)
    qbo = _admin(urls.qbo, "tokens", realm_id=realm_id, client_id=settings.qbo_client_id)
    store.save(tenant_id=tenant.id, provider="qbo", external_id=realm_id, tokens=TokenSet.from_expires_in(
        access_token=qbo["access_token"], refresh_token=qbo["refresh_token"], expires_in=qbo.get("expires_in"),
        refresh_expires_in=qbo.get("x_refresh_token_expires_in")))
    pc = _admin(urls.procore, "tokens", company_ids=[company_id], expires_in=7200)
    store.save(tenant_id=tenant.id, provider="procore", external_id=str(company_id), tokens=TokenSet.from_expires_in(
        access_token=pc["access_token"], refresh_token=pc.get("refresh_token"), expires_in=pc.get("expires_in")))
    ctx = TenantContext(engine=engine, tenant_id=tenant.id, settings=settings, tokens=store)
    say("  connected QuickBooks and Procore (tokens stored encrypted)")

    with Session(engine) as s:
        alex = s.exec(select(User).where(User.tenant_id == tenant.id, User.email.like("alex@%"))).one()
    scenery = _qbo_scenery(ctx)
    _job(ctx, "vendors", say)
    _job(ctx, "projects", say)
    _link(ctx, scenery, actor_for_user(alex), say)
    _job(ctx, "cost-codes", say)
    _drain(ctx)
    _cost_items(ctx, scenery, say)
    _job(ctx, "sub-invoices", say)
    _job(ctx, "owner-invoices", say)
    _drain(ctx)
    sent = _send_some(engine, settings, ctx, say)
    say(f"  sent {len(sent)} item(s) for acceptance: {', '.join(sent) or 'none'}")
    return tenant


@dataclass
class Scenery:
    projects: dict[int, str]  # Procore project id → QBO project (Customer) Id
    vendors: dict[int, str]  # Procore vendor id → QBO Vendor Id
    lines: dict[str, tuple[str, str]]  # "{project}:{cost code}:{type}" → (project number, cost code, type code)


def _qbo_scenery(ctx) -> Scenery:
    """What the bookkeeper already has in QuickBooks: one QBO project per Procore project and a vendor per
    subcontractor/supplier on the commitments, with the same names (written to the sandbox like its sample data)."""
    qbo, pc = ctx.qbo, ctx.procore
    types = {t.id: t for t in pc.list_line_item_types()}
    parent = qbo.create(entity="Customer", body={"DisplayName": "Summit Builders Owners"})
    scenery = Scenery({}, {}, {})
    for project in list(pc.list_projects()):
        customer = qbo.create(entity="Customer", body={
            "DisplayName": project.name, "ParentRef": {"value": parent["Id"]}, "Job": True, "IsProject": True})
        scenery.projects[project.id] = customer["Id"]
        commitments = [pc.get_work_order_contract(project_id=project.id, contract_id=c.id)
                       for c in pc.list_work_order_contracts(project_id=project.id)]
        commitments += [pc.get_purchase_order_contract(project_id=project.id, contract_id=c.id)
                        for c in pc.list_purchase_order_contracts(project_id=project.id)]
        for c in commitments:
            if c.vendor_id not in scenery.vendors:
                scenery.vendors[c.vendor_id] = qbo.create(entity="Vendor", body={"DisplayName": c.vendor_name})["Id"]
            for line in c.lines:
                key = f"{project.id}:{line.cost_code_id}:{line.line_item_type_id}"
                scenery.lines[key] = (project.project_number, line.cost_code, types[line.line_item_type_id].code)
    return scenery


def _link(ctx, scenery: Scenery, admin, say: Callable[[str], None]) -> None:
    """Alex (admin) links the companies and projects with the same services `/ledgerlink link …` uses."""
    done = {"company": 0, "project": 0}
    for entity, pairs, link in (
            ("company", scenery.vendors, lambda p, q: link_company(ctx, admin, procore_vendor_id=p, qbo_vendor_id=q)),
            ("project", scenery.projects, lambda p, q: link_erp_job(ctx, admin, qbo_project_id=q,
                                                                    procore_project_id=p))):
        for pid, qid in pairs.items():
            with Session(ctx.engine) as s:
                if binder.to_external(s, ctx.tenant_id, entity, pid) is not None:
                    continue  # the refresh adopted a link Procore already had (origin_id)
                if binder.to_internal(s, ctx.tenant_id, entity, qid) is not None:
                    qid = _twin(ctx, entity, qid)
            try:
                link(pid, qid)
                done[entity] += 1
            except Exception as exc:  # noqa: BLE001 - an unlinked record only blocks its own invoices
                say(f"  could not link {entity} {pid}: {getattr(exc, 'sentence', None) or exc}")
    say(f"  linked {done['company']} companies and {done['project']} projects")


def _twin(ctx, entity: str, qid: str) -> str:
    """A second QBO record like `qid` (whose twin was taken by an adopted link), cached by a refresh."""
    kind = {"company": "Vendor", "project": "Customer"}[entity]
    body = ctx.qbo.read(entity=kind, id=qid)
    name = body["DisplayName"] + " (QBO)"
    fields = {"DisplayName": name} if kind == "Vendor" else {
        "DisplayName": name, "ParentRef": body.get("ParentRef"), "Job": True, "IsProject": True}
    new = ctx.qbo.create(entity=kind, body=fields)["Id"]
    run_job(ctx, "vendors" if kind == "Vendor" else "projects")
    return new


def _cost_items(ctx, scenery: Scenery, say: Callable[[str], None]) -> None:
    """Commitment lines (cost code × cost type) the cost-codes job made no QBO item for — it makes them only once
    the standard cost codes are accepted into the ERP list, which the demo leaves for people to do — get a
    Service item each, linked, so every demo invoice is exportable."""
    with Session(ctx.engine) as s:
        missing = [k for k in scenery.lines if binder.to_external(s, ctx.tenant_id, "cost_item", k) is None]
        for key in missing:
            number, code, kind = scenery.lines[key]
            item = ctx.qbo.create(entity="Item", body={
                "Name": f"{number}-{code}.{kind}", "Type": "Service",
                "IncomeAccountRef": {"value": "93"}, "ExpenseAccountRef": {"value": "90"}})
            binder.bind(s, ctx.tenant_id, "cost_item", key, item["Id"])
        s.commit()
    if missing:
        say(f"  added {len(missing)} QBO Service item(s) for the commitments' cost codes")


def _drain(ctx) -> None:
    engine_outbox(ctx.engine, build_operations(lambda _t: ctx), context_for=lambda _t: ctx,
                  worker_id="ledgerlink-run-seed").drain()


def _job(ctx, name: str, say: Callable[[str], None]) -> None:
    try:
        report = run_job(ctx, name)
        say(f"  sync {report.summary()}")
    except Exception as exc:  # noqa: BLE001 - the demo runs on with what it has; the log says what failed
        logger.exception("demo seed: job %s failed", name)
        say(f"  sync {name} failed: {exc}")


def _send_some(engine: Engine, settings: Settings, ctx, say: Callable[[str], None]) -> list[str]:
    """Sam sends a few ready invoices for acceptance; the cards are posted the way `/ledgerlink send` posts them."""
    client = make_web_client(settings)
    links = links_for(settings)
    svc = Services(engine=engine, settings=settings, links=links, workflow=Workflow(engine),
                   notifier=Notifier(engine, lambda _t: client, links=links, public_url=settings.public_url),
                   context_for=lambda _t: ctx)
    with Session(engine) as s:
        sam = s.exec(select(User).where(User.tenant_id == ctx.tenant_id, User.email.like("sam@%"))).one()
        ready = list(s.exec(select(Item).where(Item.tenant_id == ctx.tenant_id, Item.state == "ready_to_export",
                                               Item.type.in_(["sub_invoice", "owner_invoice"]))
                            .order_by(Item.type.desc(), Item.id)))
    ready = [i for i in ready if not (i.detail or {}).get("blocked")]
    chosen = [i for i in ready if i.type == "sub_invoice"][:SENDS] + [i for i in ready if i.type == "owner_invoice"][:1]
    sent = []
    for item in chosen:
        try:
            send.send(svc, item.id, actor_for_user(sam))
            sent.append(item.title)
        except Exception as exc:  # noqa: BLE001
            logger.exception("demo seed: sending %s failed", item.title)
            say(f"  could not send {item.title}: {getattr(exc, 'sentence', None) or exc}")
    svc.idle(10)
    return sent


def waiting_item(engine: Engine) -> Item | None:
    """A sub invoice (else any item) waiting for acceptance: what the start line suggests accepting."""
    with Session(engine) as s:
        rows = list(s.exec(select(Item).where(Item.state == "awaiting_acceptance").order_by(Item.id)))
    subs = [i for i in rows if i.type == "sub_invoice"]
    return (subs or rows or [None])[0]

