"""What every `/ledgerlink` subcommand's parse and run share: the Usage refusal and the Call they run with
(`handlers/commands.py` holds the table; the seed's subcommands live in `handlers/seed_commands.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from blocks.cards import Message
from blocks.reports import report_message
from bot.actions.report import Built
from bot.identity import Identity
from bot.services.runtime import Services


class Usage(Exception):
    """The arguments don't fit; the message says why (the usage line is added)."""


@dataclass
class Call:
    svc: Services
    client: WebClient
    body: dict[str, Any]
    respond: Respond
    me: Identity
    confirmed: bool = False  # True when run from the confirm button of a destructive subcommand


def shown_report(call: Call, built: Built) -> Message:
    """A report as a message; a long one also as its CSV file in the person's DM."""
    attached = False
    if built.report.long:
        dm = call.client.conversations_open(users=call.me.user.slack_user_id)["channel"]["id"]
        call.client.files_upload_v2(channel=dm, content=built.csv, filename=built.report.filename,
                                    title=built.report.title,
                                    initial_comment=f"{built.report.title}: all {len(built.report.rows)} rows.")
        attached = True
    return report_message(built.report, csv_attached=attached)
