"""`/ledgerlink <subcommand> …`: parse with shlex, check the arguments, then call the service.

Bad arguments get that subcommand's usage line (ephemeral), never an exception. Quick answers are the ack
itself; decisions answer through response_url; long work (refresh, sync now, reports) says "Working…" at once
and replaces that one message with progress and the result. Each `_sub_*` function is one subcommand.
"""

from __future__ import annotations

import logging
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, MarkdownTextObject, SectionBlock

from blocks import ids
from blocks.cards import Message
from blocks.help import HelpEntry, help_message, unknown_command, usage_line
from blocks.review import confirm_message
from blocks.text import escape
from bot.actions import away, common, disconnect, export_now, finish, link, refresh, report, resend, retrieve, send
from bot.identity import slack_tz
from bot.services import admin, lookup, weekly
from bot.services.admin import GRANTS
from core.domain.errors import InvalidInput, PermissionDenied
from core.domain.parsing import strict_id
from core.domain.permissions import Perm, allowed
from handlers import seed_commands
from handlers.command_kit import Call, Usage, shown_report
from handlers.context import services, who
from handlers.errors import guarded
from handlers.pickers import open_link_modal, open_send_modal, sent_sentence
from handlers.progress import Progress, run_long
from handlers.views import open_settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sub:
    help: HelpEntry
    parse: Callable[[list[str]], Any]
    run: Callable[[Call, Any], Message | str | None]
    mode: str = "later"  # "now": the answer is the ack · "later": ack, then respond · "modal": ack, open a modal


def _choice(args: list[str], index: int, choices: tuple[str, ...] | dict, what: str) -> str:
    if len(args) <= index:
        raise Usage(f"Say which {what}: {', '.join(choices)}")
    word = args[index].lower()
    if word not in choices:
        raise Usage(f"'{args[index]}' isn't a {what}; choose {', '.join(choices)}")
    return word


def _item_args(args: list[str]) -> tuple[str, str]:
    if len(args) < 2:
        raise Usage("Say the item's type and its Procore id")
    try:
        lookup.item_type(args[0])
    except InvalidInput as exc:
        raise Usage(exc.sentence) from None
    return args[0], " ".join(args[1:])


def _send_args(args: list[str]) -> tuple[str | None, str | None, str | None]:
    """`send` alone or with only a type opens the item picker; with a reference it sends that item; a project may
    name its QuickBooks customer after `for`."""
    if len(args) < 2:
        if args:
            try:
                return lookup.item_type(args[0]), None, None
            except InvalidInput as exc:
                raise Usage(exc.sentence) from None
        return None, None, None
    lowered = [a.lower() for a in args]
    if lookup.TYPE_WORDS.get(lowered[0]) == "project" and "for" in lowered[2:]:
        cut = lowered.index("for", 2)
        if cut == len(args) - 1:
            raise Usage("Name the QuickBooks customer after `for`")
        return args[0], " ".join(args[1:cut]), " ".join(args[cut + 1:])
    return (*_item_args(args), None)


def _no_args(args: list[str]) -> None:
    if args:
        raise Usage(f"`{' '.join(args)}` isn't needed here")


# --- item decisions -------------------------------------------------------------------------------------------
def _target(call: Call, args: tuple[str, str], customer: str | None = None) -> int:
    item = lookup.find_or_ingest(call.svc.engine, call.me.tenant_id, *args, call.svc.context_for, customer=customer)
    return item.id  # type: ignore[return-value]


def _sub_send(call: Call, args: tuple[str | None, str | None, str | None]) -> str | None:
    kind, ref, customer = args
    if ref is None:
        open_send_modal(call.svc, call.client, call.body, kind)  # first: the trigger id lasts 3 seconds
        lookup.ingest_sendable(call.svc.context_for, call.me.tenant_id, kind)  # the picker asks as people type
        return None
    out = send.send(call.svc, _target(call, (kind, ref), customer), call.me.actor)  # type: ignore[arg-type]
    return sent_sentence(out.item)


def _sub_retrieve(call: Call, args: tuple[str, str]) -> str:
    out = retrieve.retrieve(call.svc, _target(call, args), call.me.actor)
    return f":leftwards_arrow_with_hook: Retrieved {out.item.title}: it is ready to export again."


def _sub_resend(call: Call, args: tuple[str, str]) -> str:
    out = resend.resend(call.svc, _target(call, args), call.me.actor)
    return f":outbox_tray: Resent {out.item.title} to accounting (round {out.item.round})."


def _sub_export(call: Call, args: tuple[str, str]) -> None:
    out = export_now.export(call.svc, _target(call, args), call.me.actor)
    call.respond(text=f":hourglass_flowing_sand: Exporting {escape(out.item.title)} to QuickBooks…")

    def show_result() -> None:
        item = finish.finish_export(call.svc, out.item.id)  # type: ignore[arg-type]
        call.respond(replace_original=True, text=escape(export_now.export_sentence(call.svc, item),
                                                         keep_mentions=True))
    call.svc.submit(show_result)


# --- lists, syncs, reports (long work) -----------------------------------------------------------------------
def _job_result(report: Any, what: str) -> str:
    summary = report.summary() if hasattr(report, "summary") else str(report)
    return f":white_check_mark: Done — {what}: {summary}"


def _run_job(call: Call, p: refresh.Plan, label: str) -> None:
    def work(progress: Progress) -> str:
        return _job_result(refresh.run(call.svc, call.me, p, progress=progress.update), p.what)
    run_long(call.svc, call.respond, label, work)


def _sub_refresh(call: Call, word: str) -> None:
    p = refresh.plan(refresh.REFRESH, word)
    _run_job(call, p, f"refreshing {p.what}")


def _sub_sync(call: Call, parsed: tuple[str, bool]) -> Message | str | None:
    word, now = parsed
    p = refresh.plan(refresh.SYNC, word)
    if not now:
        cur = refresh.last_run(call.svc, call.me.tenant_id, p.job)
        when = "never run yet" if cur is None or cur.last_run_at is None else \
            f"last run {cur.last_run_at:%Y-%m-%d %H:%M} UTC ({cur.last_status or 'unknown'})"
        return (f"Sync {word} ({p.what}): {when}. It runs on the schedule in App Home; "
                f"`{ids.COMMAND} sync {word} now` runs it right away.")
    _run_job(call, p, f"syncing {p.what}")
    return None


def _sub_report(call: Call, parsed: tuple[str, int | None]) -> None:
    name, project = parsed

    def work(progress: Progress) -> Message:
        return shown_report(call, report.build(call.svc, call.me, name, project=project))
    run_long(call.svc, call.respond, f"the {name} report", work)


# --- links, connections, settings, grants --------------------------------------------------------------------
def _sub_link(call: Call, parsed: tuple[str, str | None, str | None]) -> str | None:
    kind, procore, qbo = parsed
    if procore is None or qbo is None:
        open_link_modal(call.svc, call.client, call.body, kind)
        return None
    return link.link(call.svc, call.me, kind, procore=procore, qbo=qbo).sentence


def _sub_connect(call: Call, provider: str) -> Message:
    url = admin.connect_url(call.svc.engine, call.me.actor, call.me.user, provider,
                            key=call.svc.settings.signing_key(), public_url=call.svc.settings.public_url)
    label = {"qbo": "QuickBooks", "procore": "Procore"}[provider]
    return Message(text=f"Connect {label}: {url}", blocks=[
        SectionBlock(text=MarkdownTextObject(text=f"Open this link to connect *{label}* to Ledgerlink (it works once, "
                                                  "for 10 minutes, for you only). Only you can see this message.")),
        ActionsBlock(block_id="connect", elements=[ButtonElement(text=f"Connect {label}", url=url, style="primary",
                                                                  action_id=ids.OPEN_LINK)])])


def _sub_disconnect(call: Call, provider: str) -> Message | str:
    result = disconnect.disconnect(call.svc, call.me, provider, confirmed=call.confirmed)
    if isinstance(result, common.Confirm):  # asks first; the button runs the same words again, confirmed
        return confirm_message(result.question, result.button, f"{ids.COMMAND} {call.body.get('text', '')}")
    return result


def _sub_settings(call: Call, _: None) -> None:
    open_settings(call.svc, call.client, call.body)


_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


def _team_channel_args(args: list[str]) -> tuple[int, str | None]:
    if len(args) != 2 or strict_id(args[0]) is None:
        raise Usage("Say the Procore project id and then the channel (or `none`)")
    ref = args[1]
    if ref.lower() in ("none", "off", "-"):
        return int(args[0]), None
    m = _CHANNEL.match(ref)
    if m:
        return int(args[0]), m.group(1)
    if not re.fullmatch(r"#[a-z0-9][a-z0-9_-]{0,79}", ref):
        raise Usage(f"'{ref}' isn't a channel; mention it, like `#riverside-team`")
    return int(args[0]), ref


def _sub_team_channel(call: Call, parsed: tuple[int, str | None]) -> str:
    project_id, channel = parsed
    admin.set_team_channel(call.svc.engine, call.me.actor, call.me.tenant_id, project_id=project_id,
                           channel=channel)
    if channel is None:
        return f"Project {project_id}'s daily ready post goes to the company's channel again."
    shown = f"<#{channel}>" if not channel.startswith("#") else channel
    return f":inbox_tray: Project {project_id}'s daily post of items ready to export now goes to {shown}."


_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def _slack_user(client: WebClient, ref: str) -> dict[str, Any]:
    """A Slack user from `<@U…|name>`, `U…`, `@name` or an e-mail address (InvalidInput if none)."""
    m = _MENTION.match(ref)
    uid = m.group(1) if m else (ref if re.fullmatch(r"[UW][A-Z0-9]{6,}", ref) else None)
    if uid:
        return client.users_info(user=uid)["user"]
    if "@" in ref.strip("@"):
        return client.users_lookupByEmail(email=ref)["user"]
    name = ref.lstrip("@").lower()
    for page in client.users_list(limit=200):
        for u in page["members"]:
            profile = u.get("profile") or {}
            if name in (u.get("name", "").lower(), profile.get("display_name", "").lower(),
                        u.get("real_name", "").lower()) and not u.get("deleted"):
                return u
    raise InvalidInput(f"I can't find a Slack user '{ref}'; mention them, like `@dana`.")


def _known_user(client: WebClient, ref: str) -> dict[str, Any]:
    try:
        return _slack_user(client, ref)
    except SlackApiError:
        raise InvalidInput(f"I can't find a Slack user '{ref}'; mention them, like `@dana`.") from None


def _sub_grant(call: Call, parsed: tuple[str, str]) -> str:
    ref, what = parsed
    target = _known_user(call.client, ref)
    profile = target.get("profile") or {}
    granted = admin.grant(call.svc.engine, call.me.actor, call.me.tenant_id, slack_user_id=target["id"], what=what,
                          name=profile.get("real_name") or target.get("real_name") or target.get("name"),
                          email=profile.get("email"))
    return f":key: <@{target['id']}> is now {granted.describe()} in Ledgerlink (was {granted.before})."


def _away_args(args: list[str]) -> tuple[str, date]:
    words = [a for a in args if a.lower() != "until"]
    if len(words) != 2:
        raise Usage("Name your delegate and your last day away")
    try:
        return words[0], date.fromisoformat(words[1])
    except ValueError:
        raise Usage(f"'{words[1]}' isn't a date; write it like 2026-12-24") from None


def _sub_away(call: Call, parsed: tuple[str, date]) -> str:
    ref, until = parsed
    target = _known_user(call.client, ref)
    return away.away(call.svc.engine, call.me.actor, delegate_slack_id=target["id"], until=until,
                     now=datetime.now(UTC), tz=slack_tz(call.client, call.me.user.slack_user_id))


def _sub_back(call: Call, _: None) -> str:
    return away.back(call.svc.engine, call.me.actor, now=datetime.now(UTC))


def _sub_week(call: Call, _: None) -> str:
    """The chart of the week so far, shared in the approvers' channel now (the weekly digest does it Mondays)."""
    actor = call.me.actor
    if not (actor.is_approver or allowed(actor, Perm.CONFIGURE_ADVANCED_SETTINGS)):
        raise PermissionDenied("The chart of the week is for accounting approvers and admins.")
    try:
        shared = weekly.post(call.svc.engine, call.client, call.me.tenant_id, now=datetime.now(UTC), previous=False)
    except SlackApiError as exc:
        logger.warning("weekly chart for tenant %s not shared: %s", call.me.tenant_id, exc.response.get("error"))
        return ("I couldn't share the chart in the approvers' channel (Slack said "
                f"`{exc.response.get('error')}`); invite Ledgerlink to that channel and try again.")
    if shared is None:
        return "This workspace isn't set up for Ledgerlink yet."
    where = f"<#{shared.channel}>" if shared.channel[:1] in "CG" else shared.channel
    return f":bar_chart: The chart of this week so far is in {where}, with its figures; App Home shows it too."


# --- the table -------------------------------------------------------------------------------------------------
def _help_parse(args: list[str]) -> str | None:
    if len(args) > 1:
        raise Usage("Ask about one command at a time")
    return args[0].lower() if args else None


SUBS: dict[str, Sub] = {}


def _add(name: str, usage: str, summary: str, parse, run, mode: str = "later", who: str = "",
         examples: tuple[str, ...] = ()) -> None:
    SUBS[name] = Sub(HelpEntry(name, usage, summary, who, examples), parse, run, mode)


_add("help", "help [command]", "what you can do", _help_parse, lambda c, a: None, mode="now",
     examples=("help send", "help report"))
_add("send", "send [<type> [<Procore id or title>]] [for <QuickBooks customer>]",
     "send an item to accounting for acceptance (no id: pick it); a project goes under the customer named after `for`",
     _send_args, _sub_send, who="Standard and up",
     examples=("send invoice 4821", 'send invoice "ACME #12"', 'send company "ACME Concrete"', "send invoice",
               'send project "Riverside Clinic" for "Cool Cars"', "send sub-job 7", "send project"))
_add("retrieve", "retrieve <type> <Procore id>", "take back an item nobody has decided yet", _item_args,
     _sub_retrieve, who="the sender or an admin", examples=("retrieve invoice 4821",))
_add("resend", "resend <type> <Procore id>", "send a rejected item again after fixing it", _item_args, _sub_resend,
     who="Standard and up", examples=("resend invoice 4821",))
_add("export", "export <type> <Procore id>", "export directly, when direct exports are on", _item_args, _sub_export,
     who="Standard and up", examples=("export invoice 4821",))
_add("link", "link company|project [<Procore id or name> <QuickBooks id or name>]",
     "link a Procore record to its QuickBooks twin (no ids: pick both in a form)",
     lambda a: (_choice(a, 0, ("company", "project"), "kind of record"), *_pair(a)), _sub_link,
     who="Standard and up",
     examples=("link company", "link company 562949953421636 58", 'link project "Riverside Clinic" "Riverside"'))
_add("refresh", "refresh " + "|".join(refresh.REFRESH),
     "re-read a list or a kind of Procore item from QuickBooks and Procore now",
     lambda a: _one(a, tuple(refresh.REFRESH), "list"), _sub_refresh, who="Standard and up",
     examples=("refresh companies", "refresh invoices"))
_add("sync", "sync paid|job-costs|vendors [now]", "see when a sync last ran, or run it now",
     lambda a: (_choice(a, 0, tuple(refresh.SYNC), "sync"), _now(a)), _sub_sync, who="admins for `now`",
     examples=("sync paid", "sync paid now"))
_add("report", "report accountant|job-costs|unsyncable|archived|sub-jobs [project id]",
     "a report here, with a CSV file for long ones",
     lambda a: (_choice(a, 0, report.REPORT_NAMES, "report"), _project(a)), _sub_report,
     examples=("report accountant", "report job-costs 1001"))
_add("connect", "connect qbo|procore", "connect QuickBooks or Procore (OAuth)",
     lambda a: _one(a, ("qbo", "procore"), "service"), _sub_connect, mode="now", who="admins")
_add("disconnect", "disconnect qbo|procore",
     "disconnect QuickBooks or Procore: revoke Ledgerlink's access, forget the tokens (Procore: remove its webhook); "
     "asks first", lambda a: _one(a, disconnect.PROVIDERS, "service"), _sub_disconnect, who="admins",
     examples=("disconnect procore",))
_add("settings", "settings", "change Ledgerlink's settings (or your daily digest)", _no_args, _sub_settings,
     mode="modal", who="admins; approvers for their digest")
_add("team-channel", "team-channel <Procore project id> #channel|none",
     "where a project's daily post of items ready to export goes", _team_channel_args, _sub_team_channel,
     mode="now", who="admins", examples=("team-channel 1001 #riverside-team",))
_add("grant", "grant @person approver|not-approver|standard|read-only|admin|none",
     "set someone's Ledgerlink permission", lambda a: _grant_args(a), _sub_grant, mode="now", who="admins",
     examples=("grant @dana approver", "grant @riley read-only"))
_add("away", "away @delegate until <YYYY-MM-DD>", "you're out: reminders go to your delegate, who may decide "
     "in your place (ends by itself after that day)", _away_args, _sub_away, mode="now",
     examples=("away @kim until 2026-12-24",))
_add("back", "back", "end your out-of-office early", _no_args, _sub_back, mode="now")
_add("week", "week", "the chart of this week so far (per project: waiting, exported, paid, rejected), shared in "
     "the approvers' channel", _no_args, _sub_week, who="approvers and admins")


# --- the seed's actions (issue 16, part 2): handlers/seed_commands.py ------------------------------------------
for _entry in seed_commands.ENTRIES:
    _add(*_entry)
_plain_sync = SUBS["sync"]
_add("sync", seed_commands.SYNC_USAGE, "see when a sync last ran, run it now, or turn job-cost sync on or off",
     lambda a: seed_commands.sync_args(a, _plain_sync.parse),
     lambda c, p: seed_commands.sync_run(c, p, _plain_sync.run), who="admins for `now`, `on` and `off`",
     examples=("sync paid", "sync paid now", "sync job-costs on \"Riverside Clinic\"", "sync job-costs off"))


def _one(args: list[str], choices: tuple[str, ...], what: str) -> str:
    word = _choice(args, 0, choices, what)
    if len(args) > 1:
        raise Usage(f"`{' '.join(args[1:])}` isn't needed here")
    return word


def _pair(args: list[str]) -> tuple[str | None, str | None]:
    if len(args) == 1:
        return None, None  # the link modal picks both
    if len(args) != 3:
        raise Usage("Say the Procore id and then the QuickBooks id")
    return args[1], args[2]


def _now(args: list[str]) -> bool:
    if len(args) > 2 or (len(args) == 2 and args[1].lower() != "now"):
        raise Usage(f"Only `now` may follow `sync {args[0]}`")
    return len(args) == 2


def _project(args: list[str]) -> int | None:
    if len(args) > 2:
        raise Usage("Give at most one project id")
    if len(args) == 2:
        if strict_id(args[1]) is None:
            raise Usage(f"'{args[1]}' isn't a Procore project id")
        if args[0] != "job-costs":
            raise Usage("Only the job-costs report takes a project id")
        return int(args[1])
    return None


def _grant_args(args: list[str]) -> tuple[str, str]:
    if len(args) != 2:
        raise Usage("Say who and what to grant")
    if args[1].lower() not in GRANTS:
        raise Usage(f"'{args[1]}' isn't something I can grant; choose {', '.join(GRANTS)}")
    return args[0], args[1].lower()


# --- the listener ---------------------------------------------------------------------------------------------
def as_reply(result: Message | str) -> dict[str, Any]:
    msg = result if isinstance(result, Message) else Message(text=escape(result, keep_mentions=True))
    return {"text": msg.text, "blocks": [b.to_dict() for b in msg.blocks] or None}


HELP_ENTRIES = [s.help for s in SUBS.values()]  # every subcommand is added above


def handle_command(ack: Ack, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    svc = services(context)
    try:
        args = shlex.split(body.get("text") or "")
    except ValueError:
        ack(text=f"I couldn't read that (a quote isn't closed?). Try `{ids.COMMAND} help`.")
        return
    name = args[0].lower() if args else "help"
    sub = SUBS.get(name)
    if sub is None:
        ack(text=unknown_command(ids.COMMAND, args[0], SUBS))
        return
    try:
        parsed = sub.parse(args[1:])
    except Usage as exc:
        ack(text=usage_line(ids.COMMAND, sub.help, escape(str(exc))))
        return
    if name == "help":
        only = SUBS[parsed].help if parsed in SUBS else None
        ack(**as_reply(help_message(ids.COMMAND, HELP_ENTRIES, only=only)))
        return
    try:
        call = Call(svc, client, body, respond, who(svc, client, body))
        if sub.mode == "now":
            ack(**as_reply(sub.run(call, parsed) or ""))
            return
    except common.SENTENCE_ERRORS as exc:
        ack(text=escape(common.sentence_of(exc), keep_mentions=True))
        return
    ack()
    try:
        result = sub.run(call, parsed)
    except common.SENTENCE_ERRORS as exc:
        respond(text=escape(common.sentence_of(exc), keep_mentions=True))
        return
    if result:
        respond(**as_reply(result))


def register(app: App) -> None:
    app.command(ids.COMMAND)(guarded(handle_command))
