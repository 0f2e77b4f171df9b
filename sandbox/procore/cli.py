"""`ledgerlink sandbox procore [--host] [--port] [--rate-limit N] [--fault-rate F] [--db PATH] [--seed demo|none]`."""

from __future__ import annotations

import argparse
import logging
import sys

from werkzeug.serving import make_server

from .app import create_app


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ledgerlink sandbox procore",
                                     description="A stateful local emulator of the Procore REST API.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8082, help="port to listen on (default 8082)")
    parser.add_argument("--rate-limit", type=int, default=None, metavar="N",
                        help="enforce N requests per window per token (default: reported, not enforced)")
    parser.add_argument("--rate-window", type=int, default=3600, metavar="SECONDS",
                        help="rate-limit window in seconds (default 3600)")
    parser.add_argument("--fault-rate", type=float, default=0.0, metavar="F",
                        help="probability 0..1 of an injected 429/500/503 on API calls (default 0)")
    parser.add_argument("--db", default=None, metavar="PATH", help="SQLite file to keep state in (default: memory)")
    parser.add_argument("--seed", choices=("demo", "none"), default="demo",
                        help="seed an empty store with the demo companies (default demo)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    app = create_app(db=args.db, seed_profile=args.seed, rate_limit=args.rate_limit,
                     rate_limit_window=args.rate_window, fault_rate=args.fault_rate)
    server = make_server(args.host, args.port, app, threaded=True)
    logging.getLogger(__name__).info("Procore sandbox on http://%s:%s (admin at /_sandbox)", args.host,
                                     server.server_port)
    sys.stderr.write(f"Procore sandbox listening on http://{args.host}:{server.server_port}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["procore_sandbox"].close()
    return 0
