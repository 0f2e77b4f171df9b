"""What every `/ledgerlink` subcommand's parse and run share: the Usage refusal and the Call they run with
(`handlers/commands.py` holds the table; the seed's subcommands live in `handlers/seed_commands.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

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
