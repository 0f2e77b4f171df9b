"""Companies ⇄ vendors end to end, against the QBO and Procore sandboxes over HTTP."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from core.domain.errors import InvalidInput, PermissionDenied
from core.models import AuditEvent, ExternalLink, Item, OutboxEntry
from sync import binder
from sync.jobs.base import run_job
from sync.operations import build_operations
from sync.outbox import Outbox
from sync.qbo.query import select as qbo_select
from sync.services import companies
from tests.support import decide
from tests.support.kill_points import KILL_POINTS, crash_then_recover


def _refresh(world):
    return run_job(world.ctx, "vendors")


def _procore_id(world, name: str) -> str:
    return str(next(v.id for v in world.ctx.procore.list_vendors() if v.name == name))


def _operations(world):
    return build_operations(lambda _tenant_id: world.ctx)


def _drain(world, **kwargs):
    return Outbox(world.engine, _operations(world), **kwargs).drain()


def _qbo_vendors_named(world, name: str) -> list[dict]:
    q = qbo_select("Vendor").where(DisplayName=name).where_in("Active", [True, False])
    return world.ctx.qbo.query(q=q).get("Vendor") or []


def _item(world, item_id):
    with Session(world.engine) as s:
        return s.get(Item, item_id)


def _send_and_accept(world, name: str):
    pid = _procore_id(world, name)
    sent = companies.send_company(world.ctx, world.actor("sam"), procore_vendor_id=pid)
    decide.accept(world.ctx, world.actor("dana"), sent.item.id)
    return pid, sent.item.id


def test_export_company_through_acceptance(remote_world):
    w = remote_world
    _refresh(w)
    pid, item_id = _send_and_accept(w, "Granite Peak Steel")
    assert _item(w, item_id).state == "exporting"
    stats = _drain(w)
    assert stats.done == 2 and stats.failed == 0  # qbo.create_vendor, then procore.set_vendor_origin
    found = _qbo_vendors_named(w, "Granite Peak Steel")
    assert len(found) == 1
    item = _item(w, item_id)
    assert item.state == "synced" and item.remote_id == found[0]["Id"]
    with Session(w.engine) as s:
        assert binder.require_external(s, w.tenant.id, "company", pid).qbo_id == found[0]["Id"]
    assert w.ctx.procore.get_vendor(vendor_id=int(pid)).origin_id == found[0]["Id"]
    # the new vendor is on the ERP companies list, linked
    row = next(r for r in companies.list_erp_companies(w.ctx, w.actor("riley")) if r.remote_id == found[0]["Id"])
    assert row.linked_to == pid and row.linked_name == "Granite Peak Steel"
    # exporting it again is refused with a sentence
    with pytest.raises(InvalidInput, match="already linked"):
        companies.send_company(w.ctx, w.actor("sam"), procore_vendor_id=pid)


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_crash_at_every_kill_point_leaves_one_vendor(remote_world, kill_at):
    w = remote_world
    _refresh(w)
    pid, item_id = _send_and_accept(w, "Sawtooth Roofing")
    crash_then_recover(w.engine, _operations(w), kill_at)
    found = _qbo_vendors_named(w, "Sawtooth Roofing")
    assert len(found) == 1
    assert _item(w, item_id).state == "synced"
    with Session(w.engine) as s:
        links = s.exec(select(ExternalLink).where(ExternalLink.entity_type == "company")).all()
        assert [(lk.procore_id, lk.qbo_id) for lk in links] == [(pid, found[0]["Id"])]
        create = s.exec(select(OutboxEntry).where(OutboxEntry.operation == "qbo.create_vendor")).one()
        assert create.status == "done"


def test_duplicate_name_fails_with_a_sentence_and_retry_after_the_fix(remote_world):
    w = remote_world
    _refresh(w)
    existing = w.ctx.qbo.create(entity="Vendor", body={"DisplayName": "Owyhee Excavation"})
    pid, item_id = _send_and_accept(w, "Owyhee Excavation")
    assert _drain(w).failed == 1
    item = _item(w, item_id)
    assert item.state == "failed_to_export"
    assert f"already has a vendor named 'Owyhee Excavation' (Id {existing['Id']})" in item.last_error
    assert f"link company {pid} {existing['Id']}" in item.last_error
    assert len(_qbo_vendors_named(w, "Owyhee Excavation")) == 1
    # someone renames the QBO vendor; the retry is a new request (QBO would replay the refusal for the old one)
    w.ctx.qbo.update(entity="Vendor", body={"Id": existing["Id"], "SyncToken": existing["SyncToken"],
                                            "DisplayName": "Owyhee Excavation (old)"})
    decide.retry(w.ctx, w.actor("erin"), item_id)
    assert _drain(w).failed == 0
    assert _item(w, item_id).state == "synced"
    assert len(_qbo_vendors_named(w, "Owyhee Excavation")) == 1


def test_link_company_is_unique_and_unlink_keeps_the_vendor(remote_world):
    w = remote_world
    _refresh(w)
    a, b = _procore_id(w, "Gem State Flooring"), _procore_id(w, "Alpine Insulation")
    companies.link_company(w.ctx, w.actor("sam"), procore_vendor_id=a, qbo_vendor_id="42")
    with pytest.raises(InvalidInput, match="already linked to Gem State Flooring"):
        companies.link_company(w.ctx, w.actor("sam"), procore_vendor_id=b, qbo_vendor_id="42")
    _drain(w)
    assert w.ctx.procore.get_vendor(vendor_id=int(a)).origin_id == "42"
    with pytest.raises(PermissionDenied):
        companies.unlink_company(w.ctx, w.actor("sam"), procore_vendor_id=a)
    assert companies.unlink_company(w.ctx, w.actor("alex"), procore_vendor_id=a) == "42"
    _drain(w)
    assert w.ctx.procore.get_vendor(vendor_id=int(a)).origin_id is None
    assert w.ctx.qbo.read(entity="Vendor", id="42")["DisplayName"] == "Hicks Hardware"  # the vendor stays
    companies.link_company(w.ctx, w.actor("sam"), procore_vendor_id=b, qbo_vendor_id="42")
    _drain(w)
    assert w.ctx.procore.get_vendor(vendor_id=int(b)).origin_id == "42"
    with Session(w.engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("link_company") == 2 and actions.count("unlink_company") == 1


def test_add_erp_company_to_the_procore_directory(remote_world):
    w = remote_world
    _refresh(w)
    entry = companies.add_company_to_procore(w.ctx, w.actor("sam"), qbo_vendor_id="51")
    assert entry.operation == "procore.create_vendor"
    # a double click queues nothing more
    assert companies.add_company_to_procore(w.ctx, w.actor("sam"), qbo_vendor_id="51").id == entry.id
    assert _drain(w).done == 1
    created = [v for v in w.ctx.procore.list_vendors() if v.origin_id == "51"]
    assert [v.name for v in created] == ["Tim Philip Masonry"]
    with Session(w.engine) as s:
        assert binder.to_internal(s, w.tenant.id, "company", "51").procore_id == str(created[0].id)
    with pytest.raises(InvalidInput, match="already in Procore's directory"):
        companies.add_company_to_procore(w.ctx, w.actor("sam"), qbo_vendor_id="51")


def test_add_erp_company_refuses_a_same_named_directory_company(remote_world):
    w = remote_world
    _refresh(w)
    w.ctx.qbo.create(entity="Vendor", body={"DisplayName": "Idaho Rebar Supply, Inc."})
    _refresh(w)
    vendor = next(r for r in companies.list_erp_companies(w.ctx, w.actor("sam"))
                  if r.name == "Idaho Rebar Supply, Inc.")
    with pytest.raises(InvalidInput, match="already has 'Idaho Rebar Supply': link it"):
        companies.add_company_to_procore(w.ctx, w.actor("sam"), qbo_vendor_id=vendor.remote_id)


def test_archive_and_restore_round_trip(remote_world):
    w = remote_world
    _refresh(w)
    names = {r.name for r in companies.list_erp_companies(w.ctx, w.actor("riley"))}
    assert "Cal Telephone" in names
    with pytest.raises(PermissionDenied):
        companies.archive_company(w.ctx, w.actor("sam"), qbo_vendor_id="33")
    companies.archive_company(w.ctx, w.actor("alex"), qbo_vendor_id="33")
    assert "Cal Telephone" not in {r.name for r in companies.list_erp_companies(w.ctx, w.actor("riley"))}
    assert [r.name for r in companies.archived_companies(w.ctx, w.actor("riley"))] == ["Cal Telephone"]
    _refresh(w)  # a refresh keeps a person's archive
    assert [r.name for r in companies.archived_companies(w.ctx, w.actor("riley"))] == ["Cal Telephone"]
    with pytest.raises(InvalidInput, match="archived"):
        companies.link_company(w.ctx, w.actor("sam"), procore_vendor_id=_procore_id(w, "Blue Sky Painting"),
                               qbo_vendor_id="33")
    companies.restore_company(w.ctx, w.actor("alex"), qbo_vendor_id="33")
    assert companies.archived_companies(w.ctx, w.actor("riley")) == []
    assert {r.name for r in companies.list_erp_companies(w.ctx, w.actor("riley"))} == names


def test_duplicates_on_both_sides(remote_world):
    w = remote_world
    w.ctx.qbo.create(entity="Vendor", body={"DisplayName": "Rocky Mountain Electric LLC",
                                            "PrimaryPhone": {"FreeFormNumber": "208-555-0110"}})
    _refresh(w)
    found = companies.duplicate_suggestions(w.ctx, w.actor("sam"))
    pairs = {frozenset((f.a.name, f.b.name)): f for f in found}
    assert frozenset(("ACME Concrete", "ACME CONCRETE LLC")) in pairs
    cross = pairs[frozenset(("Rocky Mountain Electric", "Rocky Mountain Electric LLC"))]
    link = next(a for a in cross.actions if a.kind == "link")
    assert "same name" in cross.reasons or "same phone" in cross.reasons
    companies.apply_suggestion(w.ctx, w.actor("sam"), link)
    # now the Procore near-duplicate is offered for consolidation under the linked company
    again = companies.duplicate_suggestions(w.ctx, w.actor("sam"))
    mtn = next(f for f in again if {f.a.name, f.b.name} == {"Rocky Mountain Electric", "Rocky Mtn. Electric Co."})
    consolidate = next(a for a in mtn.actions if a.kind == "consolidate")
    sentence = companies.apply_suggestion(w.ctx, w.actor("sam"), consolidate)
    assert "merge Rocky Mtn. Electric Co." in sentence


def test_cli_dry_runs_print_per_record_lines(remote_world, db_url, tmp_path):
    """`ledgerlink sync vendors --dry-run` and `sync projects --dry-run`, as a person runs them."""
    import os
    import subprocess
    import sys

    from core.crypto import SecretBox
    from sync.tokens import TokenSet, TokenStore

    w = remote_world
    store = TokenStore(w.engine, SecretBox(os.environ["LEDGERLINK_SECRET_KEY"]))
    qbo_token = w.sandboxes.qbo_admin("tokens", realm_id=w.realm_id)
    procore_token = w.sandboxes.procore_admin("tokens", company_ids=[w.company_id])
    for provider, external_id, token in (("qbo", w.realm_id, qbo_token), ("procore", str(w.company_id), procore_token)):
        store.save(tenant_id=w.tenant.id, provider=provider, external_id=external_id,
                   tokens=TokenSet.from_expires_in(access_token=token["access_token"],
                                                   refresh_token=token.get("refresh_token"), expires_in=3600))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "QBO_", "PROCORE_"))}
    env.update(DATABASE_URL=db_url, QBO_API_URL=w.sandboxes.qbo_url, PROCORE_API_URL=w.sandboxes.procore_url,
               QBO_ENVIRONMENT=f"{w.sandboxes.qbo_url}/.well-known/openid-configuration",
               PROCORE_LOGIN_URL=w.sandboxes.procore_url, QBO_CLIENT_ID="ll-test", QBO_CLIENT_SECRET="s",
               PROCORE_CLIENT_ID="ll-test", PROCORE_CLIENT_SECRET="s")
    outputs = {}
    # both at once (dry runs write nothing): the wall time of one process start, not two
    procs = {job: subprocess.Popen([sys.executable, "-m", "bot", "sync", job, "--dry-run"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
             for job in ("vendors", "projects")}
    for job, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
        outputs[job] = stdout.splitlines()
    assert "create     QBO vendor: Books by Bessie (QBO 31) — new" in outputs["vendors"]
    assert outputs["vendors"][-1] == "vendors (dry run): 66 create, 3 skip"  # + the 11 of the sample company's vendors
    assert "state      QBO project: Showroom Remodel (QBO 58) — Ready to import" in outputs["projects"]
    assert outputs["projects"][-1].startswith("projects (dry run): 7 create")
    with Session(w.engine) as s:
        assert s.exec(select(ExternalLink)).all() == [] and s.exec(select(OutboxEntry)).all() == []
    print("\n" + "\n".join(outputs["vendors"][:3] + ["…"] + outputs["projects"][-6:]))
