"""Backup documents travel with the record, through the real path: a subcontractor invoice in the Procore sandbox
carries documents (signed links that serve the bytes); `/ledgerlink send` puts it on a card, Accept (a signed
Slack request) exports the Bill to the QBO sandbox and attaches each document exactly once — a second click or a
crash after an upload adds nothing — and the card lists them. A document QuickBooks refuses (an .exe, a file over
its size limit) is named on the card with QuickBooks' reason, and the Bill is there all the same."""

from __future__ import annotations

import base64
import itertools

import httpx
import pytest
from sqlmodel import Session, select

from core.models import Item, OutboxEntry
from sync.jobs.base import run_job
from sync.qbo.query import select as qbo_select
from sync.writes.attachments import queue_bill_attachments
from tests.scenarios.test_procore_arrival import _new_approved_invoice

pytest_plugins = ["tests.handlers.slack_harness", "tests.scenarios.linked_world"]

PDF = b"%PDF-1.4\n" + b"lien waiver " * 200 + b"\n%%EOF\n"
AMOUNTS = (f"{n}.00" for n in itertools.count(21000, 17))  # unique invoice numbers in the shared sandbox
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture
def slack(linked_world, slack_for):
    """The Slack app over the linked world with the real export hooks and outbox operations."""
    return slack_for(linked_world, hooks=None, operations=None, context_for=lambda _tenant: linked_world.ctx)


@pytest.fixture
def procore(linked_world):
    http = httpx.Client(base_url=f"{linked_world.sandboxes.procore_url}/_sandbox", timeout=30)
    yield http
    http.close()


@pytest.fixture
def qbo_admin(linked_world):
    http = httpx.Client(base_url=f"{linked_world.sandboxes.qbo_url}/_sandbox", timeout=30)
    yield http
    http.post("/config", json={"upload_max_bytes": None}).raise_for_status()
    http.close()


def _attach(procore: httpx.Client, req_id: int, name: str, *, data: bytes | None = None, size: int = 0,
            content_type: str | None = None) -> dict:
    body = {"name": name, "content_type": content_type}
    body |= {"content_b64": base64.b64encode(data).decode()} if data is not None else {"size": size}
    r = procore.post(f"/requisitions/{req_id}/attachments", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _upload_in_procore(world, req_id: int, name: str, data: bytes, content_type: str) -> None:
    """What a Procore user's upload is in Procore's API: a multipart PATCH with `attachments[]` files."""
    pc = world.ctx.procore
    pc._request("PATCH", f"/rest/v1.1/requisitions/{req_id}", params={"project_id": world.links.project_ids[0]},
                files={"requisition[comment]": (None, "backup attached"),
                       "attachments[]": (name, data, content_type)}, headers=pc._scope_headers())


def _sent_invoice(world, slack, procore, amount: str, documents: list[dict]) -> Item:
    req_id = _new_approved_invoice(world, amount)
    for doc in documents:
        if doc.pop("via_api", False):
            _upload_in_procore(world, req_id, doc["name"], doc["data"], doc["content_type"])
        else:
            _attach(procore, req_id, **doc)
    run_job(world.ctx, "sub-invoices")
    assert slack.command("sam", f"send invoice {req_id}")["ok"]
    slack.idle()
    with Session(world.engine) as s:
        item = s.exec(select(Item).where(Item.type == "sub_invoice", Item.procore_id == str(req_id))).one()
    assert item.state == "awaiting_acceptance", slack.ephemerals("sam")
    return item


def _attachables(world, bill_id: str) -> list[dict]:
    q = qbo_select("Attachable").filter("AttachableRef.EntityRef.value", "=", bill_id)
    return world.ctx.qbo.query(q=q).get("Attachable") or []


def test_documents_go_onto_the_bill_once_and_the_card_lists_them(linked_world, slack, procore):
    w = linked_world
    item = _sent_invoice(w, slack, procore, next(AMOUNTS), [
        {"name": "lien-waiver.pdf", "data": PDF, "content_type": "application/pdf"},
        {"name": "site-photo.png", "data": PNG, "content_type": "image/png", "via_api": True}])
    served = w.ctx.procore.get_requisition(project_id=item.procore_project_id, requisition_id=int(item.procore_id),
                                           with_commitment=False).raw["attachments"]
    assert [a["name"] for a in served] == ["lien-waiver.pdf", "site-photo.png"]
    assert served[1]["content_type"] == "image/png" and served[1]["size"] == len(PNG)
    assert httpx.get(served[0]["url"], timeout=30).content == PDF  # the signed link serves the bytes
    card = slack.text(slack.card(item))
    assert "2 document(s) go with it to QuickBooks: lien-waiver.pdf, site-photo.png" in card

    assert slack.click("dana", item)["ok"]
    assert slack.click("dana", item)["ok"]  # the double click
    slack.idle(30)
    done = slack.get(item.id)
    assert done.state == "synced"
    found = _attachables(w, done.remote_id)
    assert sorted(a["FileName"] for a in found) == ["lien-waiver.pdf", "site-photo.png"]
    assert {a["AttachableRef"][0]["EntityRef"]["type"] for a in found} == {"Bill"}
    pdf = next(a for a in found if a["FileName"] == "lien-waiver.pdf")
    assert httpx.get(pdf["TempDownloadUri"], timeout=30).content == PDF and pdf["Size"] == len(PDF)
    assert [d["status"] for d in done.detail["attachments"]] == ["attached", "attached"]
    text = slack.text(slack.card(item))
    assert "Attached in QuickBooks:" in text and "lien-waiver.pdf" in text and "site-photo.png" in text

    # a crash after the upload, before it was recorded: the row runs again and finds the Attachable
    with Session(w.engine) as s:
        rows = list(s.exec(select(OutboxEntry).where(OutboxEntry.operation == "qbo.attach_file",
                                                     OutboxEntry.payload["item_id"].as_integer() == item.id)))
        assert len(rows) == 2 and {r.status for r in rows} == {"done"}
        rows[0].status, rows[0].remote_id = "pending", None
        s.add(rows[0])
        s.commit()
    slack.svc.drain_outbox()
    assert len(_attachables(w, done.remote_id)) == 2
    # the Bill's row finishing again (a retry that found its Bill) queues the same documents: nothing new
    with Session(w.engine) as s:
        bill_row = s.exec(select(OutboxEntry).where(OutboxEntry.operation == "qbo.create_bill",
                                                    OutboxEntry.item_id == item.id)).one()
        queue_bill_attachments(s, bill_row, done.remote_id)
        s.commit()
        assert len(list(s.exec(select(OutboxEntry).where(OutboxEntry.operation == "qbo.attach_file",
                                                         OutboxEntry.payload["item_id"].as_integer() == item.id)))) == 2
    slack.svc.drain_outbox()
    assert len(_attachables(w, done.remote_id)) == 2


def test_a_refused_document_is_named_on_the_card_and_the_bill_goes(linked_world, slack, procore, qbo_admin):
    w = linked_world
    qbo_admin.post("/config", json={"upload_max_bytes": 64 * 1024}).raise_for_status()
    item = _sent_invoice(w, slack, procore, next(AMOUNTS), [
        {"name": "invoice.pdf", "data": PDF, "content_type": "application/pdf"},
        {"name": "setup.exe", "data": b"MZ" + bytes(500), "content_type": "application/x-msdownload"},
        {"name": "drawings.pdf", "size": 100 * 1024, "content_type": "application/pdf"}])
    assert slack.click("dana", item)["ok"]
    slack.idle(30)
    done = slack.get(item.id)
    assert done.state == "synced" and done.remote_id
    assert w.ctx.qbo.read(entity="Bill", id=done.remote_id)["Id"] == done.remote_id
    assert [a["FileName"] for a in _attachables(w, done.remote_id)] == ["invoice.pdf"]
    by_name = {d["filename"]: d for d in done.detail["attachments"]}
    assert by_name["invoice.pdf"]["status"] == "attached"
    assert by_name["setup.exe"]["status"] == "refused" and "not supported" in by_name["setup.exe"]["reason"]
    assert by_name["drawings.pdf"]["status"] == "refused" and "at most 65536 bytes" in by_name["drawings.pdf"]["reason"]
    text = slack.text(slack.card(item))
    assert "setup.exe was not attached: QuickBooks said: The file type of setup.exe is not supported" in text
    assert "drawings.pdf was not attached" in text and "The Bill is in QuickBooks without it." in text
    with Session(w.engine) as s:
        rows = list(s.exec(select(OutboxEntry).where(OutboxEntry.operation == "qbo.attach_file",
                                                     OutboxEntry.payload["item_id"].as_integer() == item.id)))
    assert len(rows) == 3 and {r.status for r in rows} == {"done"}
