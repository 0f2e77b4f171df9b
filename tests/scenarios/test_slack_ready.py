"""The senders' side in Slack, through the Slack sandbox: App Home's *Ready to export* and *Rejected — needs
changes* per project (Send to accounting, Export now, View in Procore, Resend), ticking several and sending them
as one grouped card, and that card's per-line Reject and *Accept all* (self-approval, two approvers, races)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlmodel import Session, select

from core.models import Decision, Item, ItemGroup, OutboxEntry

pytest_plugins = ["tests.handlers.slack_harness"]

RIVERSIDE, HARBOR = 1001, 1002


def _detail(title: str, project: str, amount: str = "1200.00", **extra) -> dict:
    return {"vendor": "ACME Concrete", "project": project, "commitment_id": 77,
            "contract_type": "work_order_contract",
            "summary": f"Creates Bill {title} for ACME Concrete, ${Decimal(amount):,.2f} across 1 cost code", **extra}


def _ready(slack, title: str, project_id: int = RIVERSIDE, amount: str = "1200.00", **kw) -> Item:
    project = {RIVERSIDE: "Riverside Clinic", HARBOR: "Harbor Tower"}.get(project_id, f"Project {project_id}")
    return slack.item(title, amount=amount, project_id=project_id,
                      detail=_detail(title, project, amount, **kw.pop("extra", {})), **kw)


def _home(slack, who: str) -> dict:
    out = slack.home(who)
    assert out["ok"], out
    slack.idle()
    return slack.views(who)["home"]


def _blocks(view: dict, prefix: str) -> list[dict]:
    return [b for b in view["view"]["blocks"] if str(b.get("block_id", "")).startswith(prefix)]


def _row_buttons(view: dict, block_id: str) -> list[str]:
    [block] = [b for b in view["view"]["blocks"] if b.get("block_id") == block_id]
    return [el["action_id"] for el in block["elements"]]


def _tick(view: dict, *items: Item) -> dict:
    """The `values` of a click after ticking these items in their projects' checkboxes."""
    ticked: dict[str, dict[str, list[str]]] = {}
    for block in _blocks(view, "ready_pick_"):  # a row's own checkbox, or the list of the project's other items
        options = {o["value"] for o in _checkboxes(block)["options"]}
        chosen = [str(i.id) for i in items if str(i.id) in options]
        ticked[block["block_id"]] = {"ready_pick": chosen}
    return ticked


def _checkboxes(block: dict) -> dict:
    return block["accessory"] if block["type"] == "section" else block["elements"][0]


def _send_selected(slack, who: str, *items: Item) -> dict:
    home = _home(slack, who)
    out = slack.click(who, None, "ready_send_selected", view_id=home["id"], values=_tick(home, *items))
    assert out["ok"], out
    slack.idle()
    return out


def _told(slack, who: str) -> list[str]:
    """What the person was told privately: ephemeral messages, and DMs (a click in App Home has no channel)."""
    return slack.ephemerals(who) + [slack.text(m) for m in slack.dms(who)]


def _grouped_cards(slack) -> list[dict]:
    return [m for m in slack.messages("#accounting") if "group_accept_all" in slack.buttons(m)
            or "sent to accounting together" in slack.text(m)]


def _group_card(slack, group_id: int) -> dict:
    with Session(slack.engine) as s:
        group = s.get(ItemGroup, group_id)
        channel, ts = group.card_channel, group.card_ts
    [card] = [m for m in slack.messages(channel) if m["ts"] == ts and not m["_sandbox"]["ephemeral_to"]]
    return card


def _group_of(slack, item: Item) -> int:
    group_id = slack.get(item.id).group_id
    assert group_id is not None
    return group_id


def test_home_lists_ready_and_rejected_items_per_project(slack):
    a = _ready(slack, "INV-1", RIVERSIDE, "1200.00")
    b = _ready(slack, "INV-2", HARBOR, "3400.00")
    company = slack.item("Granite Peak Steel", type="company", amount="0", project_id=None,
                         detail={"vendor": "Granite Peak Steel"})
    rejected = slack.sent_item("INV-3", sender="sam", project_id=HARBOR)
    slack.click("dana", rejected, "item_reject")
    slack.idle()
    slack.submit("dana", {"reason": {"reason_text": "Retainage should be 5%, not 10%."}})
    slack.idle()

    home = _home(slack, "sam")
    text = slack.text(home["view"])
    ready_part = text.split("Ready to export")[1].split("Rejected — needs changes")[0]
    rejected_part = text.split("Rejected — needs changes")[1].split("Sent by you")[0]
    assert "*Riverside Clinic* · 1 ready" in ready_part and "*Harbor Tower* · 1 ready" in ready_part
    assert "Company directory and other items" in ready_part  # no project: listed last
    assert ready_part.index("INV-1") < ready_part.index("Granite Peak Steel")
    assert "Subcontractor invoice INV-2" in ready_part and "$3,400.00" in ready_part
    assert "INV-3" in rejected_part and "Retainage should be 5%, not 10%." in rejected_part
    assert f"<@{slack.ids['dana']}>" in rejected_part
    # direct exports are disabled: Send and View only; the Procore link is a URL button
    assert _row_buttons(home, f"ready-{a.id}") == ["item_send", "item_view_procore"]
    [view_button] = [el for b in _blocks(home, f"ready-{b.id}") for el in b["elements"]
                     if el["action_id"] == "item_view_procore"]
    assert view_button["url"].startswith("https://app.procore.com/1002/project/commitments/")
    assert _row_buttons(home, f"ready-{company.id}") == ["item_send"]  # no Procore company id known: no link
    assert _row_buttons(home, f"rejected-{rejected.id}") == ["item_resend", "item_view_procore"]
    # each ready item is listed once: its row carries its checkbox (no second list of the same items)
    picks = _blocks(home, "ready_pick_")
    assert all(b["type"] == "section" for b in picks)
    ticks = [o["value"] for b in picks for o in _checkboxes(b)["options"]]
    assert sorted(ticks) == sorted({*ticks}) and str(a.id) in ticks and str(company.id) in ticks

    # Read only can't send: no senders' side at all
    assert "Ready to export" not in slack.text(_home(slack, "riley")["view"])


def test_send_and_resend_from_home(slack):
    item = _ready(slack, "INV-10")
    home = _home(slack, "sam")
    out = slack.click("sam", None, "item_send", view_id=home["id"], block_id=f"ready-{item.id}")
    assert out["ok"], out
    slack.idle()
    sent = slack.get(item.id)
    assert sent.state == "awaiting_acceptance" and sent.card_ts and sent.group_id is None
    assert slack.buttons(slack.card(sent))[:2] == ["item_accept", "item_reject"]
    assert "INV-10" not in slack.text(slack.views("sam")["home"]["view"]).split("Ready to export")[1] \
        .split("Sent by you")[0]  # Home was published again

    slack.click("dana", sent, "item_reject")
    slack.idle()
    slack.submit("dana", {"reason": {"reason_text": "Wrong billing period."}})
    slack.idle()
    home = _home(slack, "sam")
    slack.click("sam", None, "item_resend", view_id=home["id"], block_id=f"rejected-{item.id}")
    slack.idle()
    again = slack.get(item.id)
    assert again.state == "awaiting_acceptance" and again.round == 2
    # a Home that is out of date (someone sent the item meanwhile) can't send it twice: the person is told
    other = _ready(slack, "INV-11")
    home = _home(slack, "sam")
    slack.command("alex", "send invoice INV-11")
    slack.idle()
    slack.click("sam", None, "item_send", view_id=home["id"], block_id=f"ready-{other.id}")
    slack.idle()
    assert any("INV-11 is awaiting acceptance" in t and "can't be sent" in t for t in _told(slack, "sam"))
    assert len([m for m in slack.messages("#accounting") if "INV-11" in m["text"]
                and not m["_sandbox"]["ephemeral_to"]]) == 1


def test_export_now_follows_the_direct_exports_setting(slack):
    plain = _ready(slack, "INV-20")
    done_wf = _ready(slack, "INV-21", extra={"workflow_complete": True})
    home = _home(slack, "sam")
    assert "item_export" not in _row_buttons(home, f"ready-{plain.id}")  # disabled

    slack.settings_row(direct_exports="enabled_with_workflow")
    home = _home(slack, "sam")
    assert "item_export" not in _row_buttons(home, f"ready-{plain.id}")
    assert _row_buttons(home, f"ready-{done_wf.id}") == ["item_send", "item_export", "item_view_procore"]

    slack.settings_row(direct_exports="enabled")
    home = _home(slack, "sam")
    [export] = [el for b in _blocks(home, f"ready-{plain.id}") for el in b["elements"]
                if el["action_id"] == "item_export"]
    assert export["confirm"]["confirm"]["text"] == "Export now"
    slack.click("sam", None, "item_export", view_id=home["id"], block_id=f"ready-{plain.id}")
    slack.idle()
    assert slack.get(plain.id).state == "synced" and len(slack.qbo.calls) == 1
    assert any(f"INV-20 is in QuickBooks: Bill 2024-{plain.id:03d}" in t for t in _told(slack, "sam"))
    assert f"ready-{plain.id}" not in [b.get("block_id") for b in slack.views("sam")["home"]["view"]["blocks"]]


def test_home_stays_within_slacks_100_blocks(slack):
    for project in range(6):
        for n in range(12):
            _ready(slack, f"P{project}-{n:02d}", 2000 + project)
    for n in range(10):  # dana's queue is full too
        slack.sent_item(f"Q-{n}", sender="sam", project_id=3000)
    for n in range(4):
        rejected = slack.item(f"R-{n}", state="rejected", project_id=4000 + n)
        assert rejected.state == "rejected"
    out = slack.home("dana")
    assert out["ok"]
    slack.idle()
    publish = [c for c in slack.calls("views.publish") if c["args"].get("user_id") == slack.ids["dana"]][-1]
    assert publish["ok"], publish  # Slack (the sandbox) accepted it: ≤ 100 blocks, ≤ 10 options
    view = slack.views("dana")["home"]
    blocks = view["view"]["blocks"]
    assert len(blocks) <= 100
    text = slack.text(view["view"])
    assert "Ready to export" in text and "more ready in" in text and "more project(s) with items ready" in text
    assert "Rejected — needs changes" in text and "Waiting for you" in text and "Connections" in text
    picks = _blocks(view, "ready_pick_")
    per_project: dict[str, list[str]] = {}
    for b in picks:  # "ready_pick_<project>-<item>" on rows, "ready_pick_<project>" for the rest
        project = b["block_id"].removeprefix("ready_pick_").split("-")[0]
        per_project.setdefault(project, []).extend(o["value"] for o in _checkboxes(b)["options"])
    assert per_project and all(len(v) == len(set(v)) == 10 for v in per_project.values())


def test_send_selected_makes_one_grouped_card_with_reject_per_line_and_accept_all(slack):
    r1, r2, r3 = (_ready(slack, f"INV-3{n}", RIVERSIDE, f"{n}000.00") for n in (1, 2, 3))
    h1 = _ready(slack, "INV-40", HARBOR, "500.00")
    _send_selected(slack, "sam", r1, r3, h1)

    sent = [slack.get(i.id) for i in (r1, r3, h1)]
    assert {i.state for i in sent} == {"awaiting_acceptance"} and slack.get(r2.id).state == "ready_to_export"
    assert len({i.group_id for i in sent}) == 1 and all(i.card_ts is None for i in sent)  # no card of their own
    [card] = _grouped_cards(slack)
    text = slack.text(card)
    assert "3 items sent to accounting together" in text and "total *$4,500.00*" in text
    assert "INV-31" in text and "INV-33" in text and "INV-40" in text and "INV-32" not in text
    assert slack.buttons(card) == ["group_accept_all"] and "Accept all 3" in text
    assert card["text"].startswith("3 items from @sam ($4,500.00): 3 awaiting acceptance")
    receipts = slack.dms("sam")
    assert len(receipts) == 1 and "You sent 3 items ($4,500.00) to accounting together" in slack.text(receipts[0])

    # per-line Reject opens the usual modal for that item; the grouped card shows the line rejected
    group_id = _group_of(slack, r3)
    slack.click("dana", None, "item_reject", channel=card["_sandbox"]["channel"], ts=card["ts"],
                block_id=f"line-{r3.id}")
    slack.idle()
    assert slack.views("dana")["modals"][-1]["view"]["callback_id"] == "reject_reason"
    slack.submit("dana", {"reason": {"reason_text": "Billed twice for footings."}})
    slack.idle()
    card = _group_card(slack, group_id)
    assert ":no_entry: rejected by" in slack.text(card) and "Billed twice for footings." in slack.text(card)
    assert "Accept all 2" in slack.text(card)
    assert any("Billed twice" in slack.text(m) for m in slack.dms("sam"))  # the usual rejection DM

    slack.click("dana", None, "group_accept_all", channel=card["_sandbox"]["channel"], ts=card["ts"])
    slack.idle()
    assert [slack.get(i.id).state for i in (r1, r3, h1)] == ["synced", "rejected", "synced"]
    card = _group_card(slack, group_id)
    text = slack.text(card)
    assert text.count(":white_check_mark: synced as") == 2 and f"Bill 2024-{r1.id:03d}" in text
    assert "group_accept_all" not in slack.buttons(card) and "all decided" in card["text"]
    assert slack.ephemerals("dana") == []  # the card says it all
    assert len(slack.qbo.calls) == 2


def test_accept_all_is_refused_to_the_sender_and_to_non_approvers(slack):
    items = [_ready(slack, f"INV-5{n}") for n in range(3)]
    _send_selected(slack, "erin", *items)  # erin is an admin and an approver
    group_id = _group_of(slack, items[0])
    card = _group_card(slack, group_id)
    slack.click("erin", None, "group_accept_all", channel=card["_sandbox"]["channel"], ts=card["ts"])
    slack.click("sam", None, "group_accept_all", channel=card["_sandbox"]["channel"], ts=card["ts"])
    slack.idle()
    assert any("You sent INV-50, so another approver must decide it" in t for t in slack.ephemerals("erin"))
    assert any("Only accounting approvers" in t for t in slack.ephemerals("sam"))
    assert {slack.get(i.id).state for i in items} == {"awaiting_acceptance"}
    with Session(slack.engine) as s:
        assert s.exec(select(Decision)).all() == []


def test_accept_all_with_the_two_approver_threshold(slack):
    slack.settings_row(two_approver_threshold=Decimal("10000"))
    small, big = _ready(slack, "INV-60", amount="900.00"), _ready(slack, "INV-61", amount="25000.00")
    _send_selected(slack, "sam", small, big)
    card = _group_card(slack, _group_of(slack, small))
    where = {"channel": card["_sandbox"]["channel"], "ts": card["ts"]}
    slack.click("dana", None, "group_accept_all", **where)
    slack.idle()
    assert slack.get(small.id).state == "synced" and slack.get(big.id).state == "awaiting_acceptance"
    assert any("Your approval of 1 item is recorded" in t for t in slack.ephemerals("dana"))
    text = slack.text(_group_card(slack, _group_of(slack, small)))
    assert "*1 of 2 approvals*" in text and "Accept all 1" in text
    slack.click("dana", None, "group_accept_all", **where)
    slack.idle()
    assert any("Nothing changed" in t and "You already approved INV-61" in t for t in slack.ephemerals("dana"))
    slack.click("erin", None, "group_accept_all", **where)
    slack.idle()
    assert slack.get(big.id).state == "synced"
    with Session(slack.engine) as s:
        assert len(s.exec(select(Decision).where(Decision.item_id == big.id)).all()) == 2


def test_a_failed_line_is_told_under_the_grouped_card_and_retried_from_it(slack):
    a, b = _ready(slack, "INV-65"), _ready(slack, "INV-66")
    _send_selected(slack, "sam", a, b)
    group_id = _group_of(slack, a)
    card = _group_card(slack, group_id)
    slack.qbo.fail_with = "Vendor 'ACME Concrete' is inactive in QuickBooks — reactivate it or relink the company."
    slack.click("dana", None, "group_accept_all", channel=card["_sandbox"]["channel"], ts=card["ts"])
    slack.idle()
    card = _group_card(slack, group_id)
    assert slack.text(card).count(":x: export failed: Vendor 'ACME Concrete' is inactive") == 2
    threads = [m for m in slack.messages("#accounting") if m.get("thread_ts") == card["ts"] and m["ts"] != card["ts"]]
    assert len(threads) == 2 and all(f"<@{slack.ids['dana']}>" in slack.text(m) for m in threads)
    slack.qbo.fail_with = None
    slack.click("dana", None, "item_retry", channel=card["_sandbox"]["channel"], ts=card["ts"],
                block_id=f"line-{b.id}")
    slack.idle()
    assert slack.get(b.id).state == "synced" and slack.get(a.id).state == "failed_to_export"
    text = slack.text(_group_card(slack, group_id))
    assert ":white_check_mark: synced as" in text and ":x: export failed" in text


def test_nothing_ticked_and_card_not_postable(slack):
    item = _ready(slack, "INV-70")
    home = _home(slack, "sam")
    slack.click("sam", None, "ready_send_selected", view_id=home["id"])
    slack.idle()
    assert any("Tick the items to send first" in t for t in _told(slack, "sam"))

    other = _ready(slack, "INV-71")
    slack.settings_row(approvers_channel="#nowhere")
    _send_selected(slack, "sam", item, other)
    assert any("couldn't post the approval card for these 2 items (channel_not_found)" in t
               for t in _told(slack, "sam"))
    assert {slack.get(i.id).state for i in (item, other)} == {"ready_to_export"}


def test_send_selected_tells_which_items_were_not_sent(slack):
    a, b, c = (_ready(slack, f"INV-9{n}") for n in range(3))
    home = _home(slack, "sam")
    ticks = _tick(home, a, b, c)
    slack.command("alex", "send invoice INV-91")  # someone else sends one meanwhile
    slack.idle()
    slack.click("sam", None, "ready_send_selected", view_id=home["id"], values=ticks)
    slack.idle()
    told = [t for t in _told(slack, "sam") if "wasn't sent" in t]
    assert len(told) == 1 and "Sent 2 items to accounting on one card" in told[0]
    assert "INV-91 is awaiting acceptance" in told[0]
    group_id = _group_of(slack, a)
    assert slack.get(c.id).group_id == group_id and slack.get(b.id).group_id is None
    assert "2 items sent to accounting together" in slack.text(_group_card(slack, group_id))


def test_a_double_click_on_send_selected_makes_one_card(slack_pg):
    slack = slack_pg
    items = [_ready(slack, f"INV-D{n}") for n in range(6)]
    home = _home(slack, "sam")
    ticks = _tick(home, *items)
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda _: slack.click("sam", None, "ready_send_selected", view_id=home["id"],
                                                   values=ticks), range(2)))
    slack.idle()
    assert all(o["ok"] for o in outs), outs
    assert len({slack.get(i.id).group_id for i in items}) == 1 and slack.get(items[0].id).group_id is not None
    assert len(_grouped_cards(slack)) == 1
    with Session(slack.engine) as s:
        assert len(s.exec(select(ItemGroup)).all()) == 1


def test_retrieved_line_and_resent_line_leave_the_grouped_card(slack):
    a, b = _ready(slack, "INV-80"), _ready(slack, "INV-81")
    _send_selected(slack, "sam", a, b)
    group_id = _group_of(slack, a)
    slack.command("sam", "retrieve invoice INV-80")
    slack.idle()
    text = slack.text(_group_card(slack, group_id))
    assert "retrieved by" in text and "Accept all 1" in text
    # sent again on its own: it gets its own card; the grouped card no longer decides it
    home = _home(slack, "sam")
    slack.click("sam", None, "item_send", view_id=home["id"], block_id=f"ready-{a.id}")
    slack.idle()
    assert slack.get(a.id).card_ts is not None
    card = _group_card(slack, group_id)
    assert "decided on its own card now" in slack.text(card) and "Accept all 1" in slack.text(card)
    slack.click("dana", None, "group_accept_all", channel=card["_sandbox"]["channel"], ts=card["ts"])
    slack.idle()
    assert slack.get(b.id).state == "synced" and slack.get(a.id).state == "awaiting_acceptance"


def test_25_items_two_concurrent_accept_all_clicks_export_each_once(slack_pg):
    slack = slack_pg
    items = [_ready(slack, f"BULK-{n:02d}", 5000 + n % 3, f"{1000 + n}.00") for n in range(25)]
    from bot.actions import batches

    sent = batches.send_together(slack.svc, [i.id for i in items], slack.world.actor("sam"))
    assert len(sent.outcomes) == 25 and not sent.refused
    card = _group_card(slack, sent.group_id)
    assert len([b for b in card["blocks"] if str(b.get("block_id", "")).startswith("line-")]) == 25
    channel, ts = card["_sandbox"]["channel"], card["ts"]
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda _: slack.click("dana", None, "group_accept_all", channel=channel, ts=ts),
                             range(2)))
    slack.idle(60)
    assert all(o["ok"] and o["elapsed_ms"] < 3000 for o in outs), outs
    with Session(slack.engine) as s:
        ids = [i.id for i in items]
        assert len(s.exec(select(Decision).where(Decision.item_id.in_(ids))).all()) == 25
        assert len(s.exec(select(OutboxEntry).where(OutboxEntry.item_id.in_(ids))).all()) == 25
        assert {i.state for i in s.exec(select(Item).where(Item.id.in_(ids)))} == {"synced"}
    told = slack.ephemerals("dana")  # whichever click lost an item was told, in one line, not 25
    assert 1 <= len(told) <= 2 and all("decided meanwhile" in t or "Nothing changed" in t for t in told), told
    assert len(slack.qbo.calls) == 25 and len(set(slack.qbo.calls)) == 25
    final = _group_card(slack, sent.group_id)
    assert slack.text(final).count(":white_check_mark: synced as") == 25
    assert "group_accept_all" not in slack.buttons(final)


def test_bulk_accept_of_25_sub_invoices_makes_25_bills_in_quickbooks(remote_world, slack_for):
    """The whole path against the QBO and Procore sandboxes: 25 approved Procore invoices, sent together, two
    Accept all clicks at once (a double click) ⇒ exactly 25 Bills in QuickBooks, one per invoice."""
    import httpx

    from bot.actions import batches
    from core.models import ExternalLink
    from sync.jobs.base import run_job
    from sync.qbo.query import select as qbo_select
    from tests.sync.writes.money_links import link_world

    w = remote_world
    links = link_world(w, projects=1)
    contract = next(c for c in httpx.get(f"{w.sandboxes.procore_url}/_sandbox/records/work_order_contracts",
                                         timeout=30).json()
                    if c["company_id"] == w.company_id and c["project_id"] == links.project_ids[0])
    first = contract["line_items"][0]
    w.sandboxes.procore_admin("records/requisitions?emit=0", records=[{
        "commitment_id": contract["id"], "status": "approved", "invoice_number": f"BULK-{n:03d}",
        "requisition_start": "2024-09-01", "requisition_end": "2024-09-30", "billing_date": "2024-09-30",
        "submitted_at": "2024-09-30", "final": False,
        "items": [{"line_item_id": li["id"], "cost_code_id": li["cost_code_id"],
                   "description_of_work": li["description"],
                   "work_completed_this_period": f"{1000 + n}.00" if li is first else "0.00",
                   "materials_presently_stored": "0.00"} for li in contract["line_items"]],
    } for n in range(25)])
    run_job(w.ctx, "sub-invoices")
    with Session(w.engine) as s:
        bulk = [i for i in s.exec(select(Item).where(Item.type == "sub_invoice"))
                if str((i.detail or {}).get("invoice_number", "")).startswith("BULK-")]
    assert len(bulk) == 25 and all(i.state == "ready_to_export" and not i.detail.get("blocked") for i in bulk)
    slack = slack_for(w, hooks=None, operations=None, context_for=lambda _tenant_id: w.ctx)

    sent = batches.send_together(slack.svc, [i.id for i in bulk], w.actor("sam"))  # what Send selected calls
    assert len(sent.outcomes) == 25 and not sent.refused, sent.sentence()
    card = _group_card(slack, sent.group_id)
    channel, ts = card["_sandbox"]["channel"], card["ts"]
    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(lambda _: slack.click("dana", None, "group_accept_all", channel=channel, ts=ts),
                             range(2)))
    slack.idle(120)
    assert all(o["ok"] and o["elapsed_ms"] < 3000 for o in outs), outs

    bills = w.ctx.qbo.query(q=qbo_select("Bill").like("DocNumber", "BULK-%")).get("Bill") or []
    assert len(bills) == 25 and len({b["DocNumber"] for b in bills}) == 25
    assert sorted(Decimal(str(b["TotalAmt"])) for b in bills)[0] == Decimal("900.00")  # 1,000.00 less 10 %
    with Session(w.engine) as s:
        ids = [i.id for i in bulk]
        assert {i.state for i in s.exec(select(Item).where(Item.id.in_(ids)))} == {"synced"}
        assert len(s.exec(select(OutboxEntry).where(OutboxEntry.item_id.in_(ids))).all()) == 25
        assert len(s.exec(select(Decision).where(Decision.item_id.in_(ids))).all()) == 25
        assert len(s.exec(select(ExternalLink).where(ExternalLink.entity_type == "bill",
                                                     ExternalLink.tenant_id == w.tenant.id)).all()) == 25
    final = slack.text(_group_card(slack, sent.group_id))
    assert final.count(":white_check_mark: synced as") == 25 and "app.sandbox.qbo.intuit.com/app/bill?txnId=" in final
    paths = w.sandboxes.qbo_requests(w.realm_id).get("by_path") or {}
    print(f"\n25 Bills on {w.engine.dialect.name}: acks {sorted(o['elapsed_ms'] for o in outs)} ms; QBO writes "
          f"{ {p: n for p, n in paths.items() if p.startswith('POST')} }")
