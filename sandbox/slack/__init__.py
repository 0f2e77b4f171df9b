"""A faithful local Slack for Ledgerlink: the Web API at /api/<method>, a page at / that plays the Slack client,
and signed interaction payloads POSTed to the app — written from Slack's documentation, importing nothing of
Ledgerlink's own code. See sandbox/slack/README.md."""

from sandbox.slack.app import Sandbox, create_app
from sandbox.slack.cli import main

__all__ = ["Sandbox", "create_app", "main"]
