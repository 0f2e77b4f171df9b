"""The seed's actions as `/ledgerlink` subcommands (issue 16): unlink, archive/restore, duplicates, add, projects,
import, cost-codes, sync job-costs on|off, audit. Each parses its words and calls its `bot/actions/` module;
destructive ones answer with a confirm step first (`blocks.review.confirm_message`; the button runs the same
words again, confirmed). `ENTRIES` is added to the command table by `handlers/commands.py`."""

from __future__ import annotations

import re
from typing import Any

from blocks import ids
from blocks.cards import Message
from blocks.cost_codes import cost_codes_modal
from blocks.review import Extra, confirm_message, duplicates_message, pick_modal, projects_message
from bot.actions import add_record, archive, cost_codes, duplicates, imports, job_cost_sync, project_lists, unlink
from bot.actions import audit as audit_action
from bot.actions.common import Confirm
from bot.actions.refresh import SYNC
from bot.services import lookup
from core.domain.errors import InvalidInput
from core.domain.states import ItemType
from handlers.command_kit import Call, Usage, shown_report
from handlers.progress import Progress, run_long


def _answer(call: Call, result: Confirm | str) -> Message | str:
    if isinstance(result, Confirm):
        return confirm_message(result.question, result.button, f"{ids.COMMAND} {call.body.get('text', '')}")
    return result


def _pick(call: Call, command: str, action_id: str, noun: str, title: str, submit: str, *,
          types: tuple[str, ...] = (), extras: tuple[Extra, ...] = ()) -> None:
    """The subcommand was typed without its record: a modal picks it (and takes what follows it), then the
    command runs with them."""
    call.client.views_open(trigger_id=call.body["trigger_id"], view=pick_modal(
        title=title, noun=noun, action_id=action_id, submit=submit, command=command,
        channel=call.body.get("channel_id"), types=types, extras=extras))


def _need(args: list[str], count: int, what: str) -> None:
    if len(args) < count:
        raise Usage(what)


# --- unlink, archive, restore -----------------------------------------------------------------------------------
def _unlink_args(args: list[str]) -> tuple[str, str]:
    _need(args, 1, f"Say what to unlink: {', '.join(unlink.TYPES)}")
    if args[0].lower() not in unlink.TYPES:
        raise Usage(f"'{args[0]}' can't be unlinked; choose {', '.join(unlink.TYPES)}")
    if len(args) == 1:
        return args[0].lower(), None  # the picker
    return args[0].lower(), " ".join(args[1:])


def _sub_unlink(call: Call, parsed: tuple[str, str | None]) -> Message | str | None:
    word, ref = parsed
    if ref is None and word == "company":
        return _pick(call, "unlink company", ids.PICK_PROCORE_COMPANY, "Procore company", "Unlink a company",
                     "Next")
    if ref is None:  # items QuickBooks has, of that type
        kind = ItemType(lookup.item_type(word))
        return _pick(call, f"unlink {word}", ids.PICK_LINKED_ITEM, f"{kind.label} in QuickBooks",
                     f"Unlink {kind.label.lower()}", "Next", types=(kind.value,))
    return _answer(call, unlink.unlink(call.svc, call.me, parsed[0], parsed[1], confirmed=call.confirmed))


def _company_args(args: list[str]) -> str | None:
    if not args or args[0].lower() != "company":
        raise Usage("Only companies (QuickBooks vendors) are archived and restored: say `company` and which")
    return " ".join(args[1:]) or None  # None: the vendor picker


def _sub_archive(call: Call, ref: str | None) -> Message | str | None:
    if ref is None:
        return _pick(call, "archive company", ids.PICK_QBO_VENDOR, "QuickBooks vendor", "Archive a company", "Next")
    return _answer(call, archive.archive(call.svc, call.me, ref, restore=False, confirmed=call.confirmed))


def _sub_restore(call: Call, ref: str | None) -> Message | str | None:
    if ref is None:
        return _pick(call, "restore company", ids.PICK_QBO_VENDOR, "QuickBooks vendor", "Restore a company",
                     "Restore")
    return _answer(call, archive.archive(call.svc, call.me, ref, restore=True, confirmed=True))


# --- duplicates, projects -----------------------------------------------------------------------------------------
def _no_args(args: list[str]) -> None:
    if args:
        raise Usage(f"`{' '.join(args)}` isn't needed here")


def _sub_duplicates(call: Call, _: None) -> Message:
    return duplicates_message(duplicates.review(call.svc, call.me))


def _sub_projects(call: Call, _: None) -> Message:
    return projects_message(project_lists.lists(call.svc, call.me))


# --- add, import --------------------------------------------------------------------------------------------------
def _add_args(args: list[str]) -> tuple[str, str, str | None]:
    _need(args, 1, "Say what to add: company or project")
    kind = args[0].lower()
    if kind not in add_record.KINDS:
        raise Usage(f"'{args[0]}' can't be added; choose company or project")
    if len(args) == 1:
        return kind, None, None  # the picker
    if kind == "company" and len(args) > 2:
        raise Usage("Quote a name with spaces")
    if len(args) > 3:
        raise Usage("Quote a name with spaces; a project may be followed by its number")
    return kind, args[1], args[2] if len(args) == 3 else None


def _sub_add(call: Call, parsed: tuple[str, str | None, str | None]) -> str | None:
    kind, ref, number = parsed
    if ref is None:
        action, noun = (ids.PICK_QBO_VENDOR, "QuickBooks vendor") if kind == "company" else (
            ids.PICK_QBO_PROJECT, "QuickBooks project")
        return _pick(call, f"add {kind}", action, noun, f"Add a {kind} to Procore", "Add")
    if kind == "company":
        return add_record.add_company(call.svc, call.me, ref)
    return add_record.add_project(call.svc, call.me, ref, number)


def _import_args(args: list[str]) -> tuple[str, list[str]]:
    _need(args, 1, f"Say what to import: {', '.join(imports.KINDS)}")
    kind = args[0].lower()
    if kind not in imports.KINDS:
        raise Usage(f"'{args[0]}' can't be imported; choose {', '.join(imports.KINDS)}")
    rest = args[1:]
    if not rest:
        return kind, rest  # the picker
    if kind == "sub-job" and len(rest) not in (1, 2):
        raise Usage("Say the QuickBooks sub job (id or name), and optionally its code")
    if kind == "prime-contract" and len(rest) != 2:
        raise Usage("Say the Procore project and the QuickBooks estimate id")
    if kind == "budget":
        _need(rest, 3, "Say the Procore project, the QuickBooks budget id and where each account goes "
                       "(`<account id>=<cost code id>:<cost type id>`)")
        try:
            imports.parse_accounts(rest[2:])  # a bad pair is a usage error, before anything runs
        except InvalidInput as exc:
            raise Usage(exc.sentence) from None
    return kind, rest


#: what `import <kind>` typed alone asks for: the record picked first, then what is typed after it
_IMPORT_PICKS = {
    "sub-job": (ids.PICK_QBO_SUB_JOB, "QuickBooks sub job", "Import a sub job",
                (Extra("code", "Its code in Procore", "Empty: QuickBooks' own.", optional=True),)),
    "prime-contract": (ids.PICK_PROCORE_PROJECT, "Procore project", "Import a prime contract",
                       (Extra("estimate", "QuickBooks estimate id", "The estimate that becomes the prime contract."),)),
    "budget": (ids.PICK_PROCORE_PROJECT, "Procore project", "Import a budget",
               (Extra("budget", "QuickBooks budget id", "The budget whose amounts become Procore budget lines."),
                Extra("accounts", "Where each account goes",
                      "`<account id>=<cost code id>:<cost type id>`, separated by spaces."))),
}


def _sub_import(call: Call, parsed: tuple[str, list[str]]) -> str | None:
    kind, rest = parsed
    if not rest:
        action, noun, title, extras = _IMPORT_PICKS[kind]
        return _pick(call, f"import {kind}", action, noun, title, "Import", extras=extras)
    if kind == "sub-job":
        return imports.import_sub_job(call.svc, call.me, rest[0], rest[1] if len(rest) > 1 else None)
    if kind == "prime-contract":
        return imports.import_prime_contract(call.svc, call.me, rest[0], rest[1])
    return imports.import_budget(call.svc, call.me, rest[0], rest[1], imports.parse_accounts(rest[2:]))


# --- cost codes -----------------------------------------------------------------------------------------------------
def _cost_code_args(args: list[str]) -> tuple[str, str, int, int | None] | None:
    if not args:
        return None  # the preferences modal
    verb = args[0].lower()
    if verb not in ("delete", "delete-type"):
        raise Usage(f"'{args[0]}' isn't a cost-codes action; use `delete` or `delete-type` (or nothing: the form)")
    want = 3 if verb == "delete" else 4
    if len(args) != want or not all(a.isdigit() for a in args[2:]):
        raise Usage("Say the Procore project, then the cost code id" + (" and the cost type id" if want == 4 else ""))
    return verb, args[1], int(args[2]), int(args[3]) if want == 4 else None


def _sub_cost_codes(call: Call, parsed: tuple[str, str, int, int | None] | None) -> Message | str | None:
    if parsed is None:
        form = cost_codes.form(call.svc, call.me)
        call.client.views_open(trigger_id=call.body["trigger_id"], view=cost_codes_modal(form.codes, form.types))
        return None
    _, project, code, kind = parsed
    return _answer(call, cost_codes.delete(call.svc, call.me, project, code, kind, confirmed=call.confirmed))


# --- sync job-costs on|off [project], on top of `sync <name> [now]` ------------------------------------------------
def sync_args(args: list[str], plain: Any) -> Any:
    """`sync job-costs on|off [project]` here; anything else is the original `sync` parse."""
    if len(args) >= 2 and args[0].lower() == "job-costs" and args[1].lower() in ("on", "off"):
        if len(args) > 3:
            raise Usage("Quote a project name with spaces")
        return ("switch", args[1].lower() == "on", args[2] if len(args) == 3 else None)
    return plain(args)


def sync_run(call: Call, parsed: Any, plain: Any) -> Message | str | None:
    if isinstance(parsed, tuple) and parsed and parsed[0] == "switch":
        return job_cost_sync.set_job_costs(call.svc, call.me, parsed[1], parsed[2])
    return plain(call, parsed)


# --- audit ------------------------------------------------------------------------------------------------------------
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def _audit_args(args: list[str]) -> tuple[str | None, str | None]:
    if not args:
        return None, None
    by = args[0].lower()
    if by == "item":
        _need(args, 3, "Say the item's type and its Procore id or title")
        return by, " ".join(args[1:])
    if by == "person":
        if len(args) != 2:
            raise Usage("Mention one person, like `@dana`")
        return by, args[1]
    if by == "date":
        if len(args) != 2:
            raise Usage("Give a date like 2026-12-07 or a range like 2026-12-01..2026-12-07")
        try:
            audit_action.parse_dates(args[1])
        except InvalidInput as exc:
            raise Usage(exc.sentence) from None
        return by, args[1]
    raise Usage(f"'{args[0]}' isn't a way to search the trail; use item, person or date")


def _sub_audit(call: Call, parsed: tuple[str | None, str | None]) -> None:
    by, ref = parsed
    slack_user = None
    if by == "person":
        m = _MENTION.match(ref or "")
        slack_user = m.group(1) if m else _user_by_name(call, ref or "")

    def work(progress: Progress) -> Message:
        return shown_report(call, audit_action.trail(call.svc, call.me, by, ref, slack_user_id=slack_user))
    run_long(call.svc, call.respond, "the audit trail", work)


def _user_by_name(call: Call, ref: str) -> str | None:
    name = ref.lstrip("@").lower()
    for page in call.client.users_list(limit=200):
        for u in page["members"]:
            if name in (u.get("name", "").lower(), (u.get("profile") or {}).get("display_name", "").lower()):
                return u["id"]
    return None


# --- the table rows: (name, usage, summary, parse, run, mode, who, examples) ------------------------------------------
ENTRIES: list[tuple[Any, ...]] = [
    ("unlink", "unlink company|commitment|cco|pcco|invoice|owner-invoice [<Procore id or name>]",
     "forget a synced record's QuickBooks twin (it stays in QuickBooks; asks first; without the record: pick it)",
     _unlink_args, _sub_unlink,
     "later", "admins", ("unlink company \"ACME Concrete\"", "unlink invoice INV-55")),
    ("archive", "archive company [<QuickBooks id or name>]", "hide a QuickBooks vendor nobody uses (asks first)",
     _company_args, _sub_archive, "later", "admins", ("archive company \"ACME Old Account\"",)),
    ("restore", "restore company [<QuickBooks id or name>]", "bring an archived QuickBooks vendor back",
     _company_args, _sub_restore, "later", "admins", ("restore company 65",)),
    ("duplicates", "duplicates", "review likely duplicate companies: consolidate, link, remove or not a duplicate",
     _no_args, _sub_duplicates, "later", "Standard and up; admins to remove", ()),
    ("add", "add company|project [<QuickBooks id or name> [project number]]",
     "add a QuickBooks vendor to Procore's directory, or a QuickBooks project to Procore",
     _add_args, _sub_add, "later", "Standard and up; admins for projects",
     ("add company \"Zeta Paving\"", "add project \"Main St Retail\" MSR-1")),
    ("projects", "projects", "projects Ready to import / Ready to update, and why a Procore project is missing",
     _no_args, _sub_projects, "later", "Read only and up", ()),
    ("import", "import sub-job|budget|prime-contract […]", "bring a QuickBooks sub job, budget or estimate into "
     "Procore (with the kind alone: pick the record in a form)",
     _import_args, _sub_import, "later", "Standard and up; admins for sub jobs",
     ("import sub-job \"Riverside Clinic: Phase 2\"", "import prime-contract 1001 145",
      "import budget 1001 7 80=562:12")),
    ("cost-codes", "cost-codes [delete <project> <cost code id> | delete-type <project> <cost code id> <cost type id>]",
     "default cost types and preferences (a form), or delete a project cost code or cost-type assignment",
     _cost_code_args, _sub_cost_codes, "later", "admins", ("cost-codes", "cost-codes delete 1001 562")),
    ("audit", "audit [item <type> <Procore id> | person @name | date <day>[..<day>]]",
     "who did what, when (a CSV file for long trails)", _audit_args, _sub_audit, "later", "Read only and up",
     ("audit item invoice INV-55", "audit person @dana", "audit date 2026-12-01..2026-12-07")),
]
SYNC_USAGE = f"sync {'|'.join(SYNC)} [now] · sync job-costs on|off [project]"
