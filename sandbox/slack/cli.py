"""`ledgerlink sandbox slack [--port 8083] [--app-url URL] [--bot-token T] [--signing-secret S] [--db PATH]
[--threads 16]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from sandbox.slack.app import DEFAULT_APP_URL, create_app


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ledgerlink sandbox slack",
                                     description="A local Slack: Web API at /api/<method>, a client page at /.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8083, help="port to listen on (default 8083)")
    parser.add_argument("--app-url", default=os.environ.get("SLACK_SANDBOX_APP_URL", DEFAULT_APP_URL),
                        help=f"where signed payloads are POSTed (default {DEFAULT_APP_URL})")
    parser.add_argument("--bot-token", default=os.environ.get("SLACK_BOT_TOKEN"),
                        help="the only accepted bot token (default $SLACK_BOT_TOKEN, else generated)")
    parser.add_argument("--signing-secret", default=os.environ.get("SLACK_SIGNING_SECRET"),
                        help="signs outgoing requests (default $SLACK_SIGNING_SECRET, else generated)")
    parser.add_argument("--db", default=None, help="SQLite file to keep state in (default: in memory)")
    parser.add_argument("--users", default="demo", choices=["demo", "none"], help="seed the demo people")
    parser.add_argument("--public-url", default=None,
                        help="base URL the app reaches the sandbox at (response/upload URLs); default: as requested")
    parser.add_argument("--threads", type=int, default=16,
                        help="server threads (default 16); each click or command holds one until the app acks")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = create_app(bot_token=args.bot_token, signing_secret=args.signing_secret, app_url=args.app_url,
                     db=args.db, users=args.users, public_url=args.public_url)
    sandbox = app.config["SLACK_SANDBOX"]
    base = f"http://{args.host}:{args.port}"
    out = sys.stdout
    out.write(f"Slack sandbox for {sandbox.ws.team_name} on {base}\n"
              f"  page:            {base}/\n"
              f"  Web API:         {base}/api/  (SLACK_API_URL)\n"
              f"  app events URL:  {sandbox.app_url}\n")
    if not args.bot_token:
        out.write(f"  SLACK_BOT_TOKEN={sandbox.bot_token}\n")
    if not args.signing_secret:
        out.write(f"  SLACK_SIGNING_SECRET={sandbox.signing_secret}\n")
    out.flush()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        from waitress import serve  # noqa: PLC0415 - only the serving CLI needs waitress
    except ImportError:  # pragma: no cover - waitress is a declared dependency
        app.run(host=args.host, port=args.port, threaded=True)
    else:
        serve(app, host=args.host, port=args.port, threads=args.threads, ident="slack-sandbox")
    return 0
