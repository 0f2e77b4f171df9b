"""The Procore client against the local Procore sandbox over real HTTP (127.0.0.1).

Covers what unit fakes can't prove: Procore's real shapes, the sandbox's paging and rate limits, single-use
refresh tokens at its token endpoint, and a webhook travelling from the sandbox to our `/webhooks/procore`.
"""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from bot.web import create_web_app
from core.config import load_settings
from core.crypto import SecretBox
from core.db import make_engine
from core.models import Connection, ProcessedWebhook, SyncRequest, Tenant
from sandbox.procore import create_app
from sync.http.base import StaticToken
from sync.http.limits import LimiterRegistry
from sync.http.retry import RetryPolicy
from sync.procore.client import ProcoreClient
from sync.procore.errors import (
    MISSING_COMPANY_HINT,
    NOT_CONNECTED_HINT,
    ProcoreApiError,
    ProcoreConflict,
    ProcoreForbidden,
    ProcoreNotFound,
    ProcoreValidationError,
)
from sync.procore.financials import Commitment, ContractPayment, DirectCost, PaymentApplication, Requisition
from sync.procore.oauth import ProcoreOAuth
from sync.procore.records import BudgetLineItem, CostCode, LineItemType, Project, Vendor
from sync.tokens import InvalidGrant, TokenSet, TokenStore, utcnow
from tests.support.connect_links import admin_link
from tests.support.servers import running_wsgi

DEMO = 4278  # the sandbox's demo company, "Summit Builders"
SECRET = "hook-secret-xyz"
RETRY = RetryPolicy(max_attempts=5, initial_wait=0.05, max_wait=2.0, jitter=0.0, rate_limit_jitter=0.05)


@pytest.fixture
def sandbox():
    app = create_app(seed_profile="demo")
    with running_wsgi(app) as base, httpx.Client(base_url=base, timeout=30) as admin:
        yield base, admin
    app.extensions["procore_sandbox"].close()


def _token(admin: httpx.Client, company_ids: list[int], **extra) -> dict:
    response = admin.post("/_sandbox/tokens", json={"company_ids": company_ids, **extra})
    assert response.is_success, response.text
    return response.json()


def _client(base: str, token, company_id: int | None = DEMO, **kw) -> ProcoreClient:
    """`token`: an access token string, or a TokenSource."""
    tokens = StaticToken(token) if isinstance(token, str) else token
    return ProcoreClient(base_url=base, tokens=tokens, company_id=company_id, retry=RETRY,
                         registry=kw.pop("registry", LimiterRegistry()), **kw)


def _requests(admin: httpx.Client) -> dict[str, int]:
    return admin.get("/_sandbox/requests").json()["counts"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_paginates_1500_vendors_following_link(sandbox):
    base, admin = sandbox
    company = admin.post("/_sandbox/companies", json={"name": "Big Directory Co", "seed": "none"}).json()
    records = [{"company_id": company["id"], "name": f"Vendor {n:04d}", "origin_id": f"Q{n}"} for n in range(1500)]
    assert admin.post("/_sandbox/records/vendors?emit=0", json={"records": records}).is_success
    client = _client(base, _token(admin, [company["id"]])["access_token"], company_id=company["id"])
    admin.post("/_sandbox/requests/reset")

    listing = client.list_vendors()
    seen = 0
    for n, vendor in enumerate(listing, start=1):
        assert isinstance(vendor, Vendor)
        seen += 1
        if n == 100:  # streamed: only the first page has been asked for so far
            assert listing.pages_fetched == 1
    assert seen == 1500 and listing.total == 1500 and listing.pages_fetched == 15
    assert _requests(admin)["GET /rest/v1.0/vendors"] == 15
    names = {v.name for v in client.list_vendors(per_page=1000)}
    assert len(names) == 1500
    assert _requests(admin)["GET /rest/v1.0/vendors"] == 17


def test_lists_every_resource_with_typed_decimal_records(sandbox):
    base, admin = sandbox
    client = _client(base, _token(admin, [DEMO])["access_token"])

    assert [c.id for c in client.list_companies()] == [DEMO]
    projects = list(client.list_projects())
    assert projects and all(isinstance(p, Project) and p.company_id == DEMO for p in projects)
    project = projects[0]
    assert client.get_project(project_id=project.id).name == project.name
    assert len(list(client.list_vendors())) > 10 and len(list(client.list_company_users())) > 0
    (std_list,) = client.list_standard_cost_code_lists()
    assert all(isinstance(c, CostCode) for c in client.list_standard_cost_codes(standard_cost_code_list_id=std_list.id))
    codes = list(client.list_cost_codes(project_id=project.id))
    assert codes and all(c.project_id == project.id and c.full_code for c in codes)
    types = list(client.list_line_item_types())
    assert {"Labor", "Material", "Subcontract"} <= {t.name for t in types}
    assert all(isinstance(t, LineItemType) for t in types)
    budget = list(client.list_budget_line_items(project_id=project.id))
    assert budget and all(isinstance(b, BudgetLineItem) and isinstance(b.amount, Decimal) for b in budget)

    subs = list(client.list_work_order_contracts(project_id=project.id))
    pos = list(client.list_purchase_order_contracts(project_id=project.id))
    assert subs and pos and all(isinstance(c, Commitment) for c in subs + pos)
    sub = client.get_work_order_contract(project_id=project.id, contract_id=subs[0].id)
    assert sub.lines and sub.grand_total == sum((x.amount for x in sub.lines), Decimal(0))

    reqs = list(client.list_requisitions(project_id=project.id))
    assert reqs and all(isinstance(r, Requisition) and isinstance(r.total_amount, Decimal) for r in reqs)
    approved = next(r for r in reqs if r.status == "approved")
    req = client.get_requisition(project_id=project.id, requisition_id=approved.id)
    assert req.lines and req.vendor_id and req.vendor_name and req.period_start and req.period_end
    assert all(x.line_item_type_id is not None and x.cost_code for x in req.lines)  # filled from the commitment
    gross = sum((x.amount for x in req.lines), Decimal(0))
    assert req.total_claimed_amount == gross
    assert req.total_amount == gross - req.retainage_withheld + req.retainage_released
    with_items = list(client.list_requisitions(project_id=project.id, with_items=True))
    assert all(r.lines for r in with_items)

    apps = list(client.list_payment_applications(project_id=project.id))
    assert apps and all(isinstance(a, PaymentApplication) for a in apps)
    app = client.get_payment_application(project_id=project.id, payment_application_id=apps[0].id)
    assert app.work_completed_this_period is not None and app.retainage_held is not None
    assert app.total_amount == (app.work_completed_this_period + app.materials_presently_stored
                                - app.retainage_held + app.retainage_released)
    payments = list(client.list_contract_payments(project_id=project.id, contract_id=sub.id))
    assert all(isinstance(p, ContractPayment) and isinstance(p.amount, Decimal) for p in payments)
    costs = list(client.list_direct_costs(project_id=project.id))
    assert costs and all(isinstance(c, DirectCost) for c in costs)
    cost = client.get_direct_cost(project_id=project.id, direct_cost_id=costs[0].id)
    assert cost.lines and cost.grand_total == sum((x.amount for x in cost.lines), Decimal(0))
    assert list(client.list_hooks()) == []


def test_errors_from_the_sandbox_are_typed_with_hints(sandbox):
    base, admin = sandbox
    token = _token(admin, [DEMO])["access_token"]
    with pytest.raises(ProcoreApiError) as info:
        _client(base, token, company_id=None).list_vendors().first()
    assert info.value.status == 400 and info.value.hint == MISSING_COMPANY_HINT
    with pytest.raises(ProcoreForbidden) as info:
        _client(base, token, company_id=5012).list_vendors().first()  # the sandbox's other company
    assert info.value.hint == NOT_CONNECTED_HINT
    with pytest.raises(ProcoreNotFound):
        _client(base, token).get_project(project_id=999_999)


def test_writes_payments_direct_costs_and_vendors(sandbox):
    base, admin = sandbox
    client = _client(base, _token(admin, [DEMO])["access_token"])
    project = client.list_projects().first()
    sub = client.list_work_order_contracts(project_id=project.id).first()
    invoice = next(r for r in client.list_requisitions(project_id=project.id)
                   if r.commitment_id == sub.id and r.status == "approved")

    payment = client.create_contract_payment(project_id=project.id, contract_id=sub.id, amount=Decimal("1234.56"),
                                             payment_date=date(2026, 11, 20), requisition_id=invoice.id,
                                             check_number="9001", origin_id="QBO-BP-77")
    assert payment.amount == Decimal("1234.56") and payment.requisition_id == invoice.id
    assert payment.commitment_id == sub.id and payment.payment_date == date(2026, 11, 20)
    listed = {p.id: p for p in client.list_contract_payments(project_id=project.id, contract_id=sub.id)}
    assert listed[payment.id].origin_id == "QBO-BP-77"
    client.delete_contract_payment(project_id=project.id, contract_payment_id=payment.id)
    assert payment.id not in {p.id for p in client.list_contract_payments(project_id=project.id, contract_id=sub.id)}

    code = next(c for c in client.list_cost_codes(project_id=project.id) if c.parent_id is not None)
    labor = next(t for t in client.list_line_item_types() if t.name == "Labor")
    vendor = client.list_vendors().first()
    cost = client.create_direct_cost(project_id=project.id, direct_cost_type="invoice", invoice_number="INV-77",
                                     direct_cost_date=date(2026, 11, 2), vendor_id=vendor.id, origin_id="QBO-P-9",
                                     line_items=[{"amount": Decimal("100.10"), "cost_code_id": code.id,
                                                  "line_item_type_id": labor.id, "description": "Crane hire"},
                                                 {"amount": Decimal("0.20"), "cost_code_id": code.id,
                                                  "line_item_type_id": labor.id}])
    assert cost.grand_total == Decimal("100.30") and [x.amount for x in cost.lines] == [Decimal("100.10"),
                                                                                       Decimal("0.20")]
    assert cost.vendor_id == vendor.id and cost.project_id == project.id
    assert client.update_direct_cost(project_id=project.id, direct_cost_id=cost.id, status="approved").status == \
        "approved"
    assert client.get_direct_cost(project_id=project.id, direct_cost_id=cost.id).origin_id == "QBO-P-9"
    client.delete_direct_cost(project_id=project.id, direct_cost_id=cost.id)
    with pytest.raises(ProcoreNotFound):
        client.get_direct_cost(project_id=project.id, direct_cost_id=cost.id)
    with pytest.raises(ProcoreValidationError) as info:
        client.create_direct_cost(project_id=project.id, direct_cost_type="invoice", direct_cost_date=date.today(),
                                  line_items=[])
    assert "invoice_number" in info.value.field_errors

    created = client.create_vendor(name="Ledgerlink Test Vendor", origin_id="QBO-V-1")
    assert created.origin_id == "QBO-V-1"
    with pytest.raises(ProcoreConflict):
        client.create_vendor(name="Another", origin_id="QBO-V-1")
    result = client.sync_vendors([{"origin_id": "QBO-V-2", "name": "Synced Vendor"},
                                  {"origin_id": "QBO-V-3", "name": ""},
                                  {"id": created.id, "origin_id": "QBO-V-1", "name": "Renamed Vendor"}])
    assert sorted(v.name for v in result.entities) == ["Renamed Vendor", "Synced Vendor"]
    (failure,) = result.failures
    assert failure.origin_id == "QBO-V-3" and failure.field_errors == {"name": ["can't be blank"]}
    assert failure.update == {"origin_id": "QBO-V-3", "name": ""}


def test_rate_limit_waits_for_reset_instead_of_hammering(sandbox):
    base, admin = sandbox
    admin.post("/_sandbox/config", json={"rate_limit": {"enabled": True, "limit": 4, "window": 2}})
    client = _client(base, _token(admin, [DEMO])["access_token"])
    admin.post("/_sandbox/requests/reset")
    started = time.monotonic()

    project_id = client.list_projects().first().id
    names = [client.get_project(project_id=project_id).name for _ in range(5)]

    elapsed = time.monotonic() - started
    assert len(names) == 5
    sent = _requests(admin)
    refused = sum(n for key, n in sent.items() if key.startswith("GET /rest/")) - 6  # 6 calls succeeded
    # After the 4th call (X-Rate-Limit-Remaining: 0) the client waited for X-Rate-Limit-Reset instead of
    # sending; at most one 429 at the window's edge (the sandbox floors Reset to whole seconds, see report).
    assert refused <= 1, sent
    assert elapsed >= 1.0  # 6 calls at 4 per 2-second window cannot finish inside one window
    assert client.limiter.pauses >= 1


def test_single_use_refresh_tokens_have_one_winner(sandbox, engine):
    base, admin = sandbox
    grant = _token(admin, [DEMO], refresh=True)
    with Session(engine, expire_on_commit=False) as s:
        tenant = Tenant(name="Summit Builders", procore_company_id=DEMO)
        s.add(tenant)
        s.commit()
    box = SecretBox(Fernet.generate_key().decode())
    oauth = ProcoreOAuth(login_url=base, client_id="ledgerlink-test", client_secret="s3cret")
    stores = [TokenStore(engine, box, {"procore": oauth.refresh}) for _ in range(2)]  # two "processes"
    conn_id = stores[0].save(tenant_id=tenant.id, provider="procore", external_id=str(DEMO),
                             tokens=TokenSet(access_token=grant["access_token"], refresh_token=grant["refresh_token"],
                                             access_expires_at=utcnow() - timedelta(minutes=1)))
    clients = [_client(base, store.source(conn_id)) for store in stores]
    admin.post("/_sandbox/requests/reset")

    with ThreadPoolExecutor(10) as pool:
        names = list(pool.map(lambda n: clients[n % 2].list_projects().first().name, range(20)))

    assert len(set(names)) == 1
    assert _requests(admin)["POST /oauth/token"] == 1  # exactly one refresh reached Procore
    saved = stores[0].current_tokens(conn_id)
    assert saved.refresh_token != grant["refresh_token"] and stores[1].info(conn_id).status == "active"
    with pytest.raises(InvalidGrant):
        oauth.refresh(grant["refresh_token"])  # the spent one is dead at Procore…
    assert stores[1].access_token(conn_id, rejected=saved.access_token)  # …and the saved one still works
    assert _requests(admin)["POST /oauth/token"] == 3


def test_webhook_from_the_sandbox_reaches_our_receiver_once(sandbox, db_url, monkeypatch):
    base, admin = sandbox
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    port = _free_port()
    settings = load_settings(_env_file=None, DATABASE_URL=db_url, PROCORE_WEBHOOK_SECRET=SECRET,
                             PROCORE_CLIENT_ID="ledgerlink-test", PROCORE_CLIENT_SECRET="s3cret",
                             PROCORE_LOGIN_URL=base, PROCORE_API_URL=base,
                             LEDGERLINK_PUBLIC_URL=f"http://127.0.0.1:{port}")
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as s:
        tenant = Tenant(name="Summit Builders", procore_company_id=DEMO)
        s.add(tenant)
        s.commit()
    try:
        with running_wsgi(create_web_app(settings, engine=engine), port=port) as web:
            # connect through the sandbox's OAuth (authorize auto-consents) — tokens land encrypted in the DB
            with httpx.Client(follow_redirects=True) as browser:
                page = browser.get(admin_link(engine, settings, tenant.id, "procore"))
            assert page.status_code == 200 and f"company {DEMO}" in page.text
            with Session(engine) as s:
                (conn,) = s.exec(select(Connection)).all()
            store = TokenStore(engine, SecretBox(settings.require_secret_key()))
            client = ProcoreClient.for_connection(store, conn.id, settings=settings, retry=RETRY,
                                                  registry=LimiterRegistry())
            assert client.company_id == DEMO and "procore" in store.refreshers

            # connecting registered Ledgerlink's hook, with a trigger per followed resource and event
            (hook,) = client.list_hooks()
            assert (hook.namespace, hook.destination_url) == ("ledgerlink", f"{web}/webhooks/procore")
            assert ("Requisitions", "update") in {(t.resource_name, t.event_type)
                                                  for t in client.list_triggers(hook_id=hook.id)}
            forged = client.create_hook(destination_url=f"{web}/webhooks/procore", secret="not-the-secret")
            client.create_trigger(hook_id=forged.id, resource_name="Requisitions", event_type="update")
            assert {h.id for h in client.list_hooks()} == {hook.id, forged.id}
            admin.post("/_sandbox/config", json={"webhooks": {"duplicate": True, "max_attempts": 2}})

            project = client.list_projects().first()
            req = client.list_requisitions(project_id=project.id).first()
            assert admin.patch(f"/_sandbox/records/requisitions/{req.id}", json={"comment": "edited"}).is_success
            deliveries = admin.get("/_sandbox/webhook-deliveries", params={"wait": 15}).json()

            good = [d for d in deliveries if d["hook_id"] == hook.id]
            bad = [d for d in deliveries if d["hook_id"] == forged.id]
            assert len(good) == 2 and {d["status"] for d in good} == {"delivered"}  # delivered twice, both 200
            assert good[0]["ulid"] == good[1]["ulid"]
            assert bad and all(d["response_status"] == 401 and d["status"] != "delivered" for d in bad)
            with Session(engine) as s:
                (queued,) = s.exec(select(SyncRequest)).all()
                assert len(s.exec(select(ProcessedWebhook)).all()) == 1
            assert (queued.source, queued.entity, queued.entity_id, queued.operation, queued.external_account,
                    queued.tenant_id) == ("procore", "Requisitions", str(req.id), "update", str(DEMO), tenant.id)
            client.delete_hook(hook_id=forged.id)
            client.delete_hook(hook_id=hook.id)
            assert list(client.list_hooks()) == []
    finally:
        engine.dispose()
