"""Local emulator of the QuickBooks Online v3 API (data service, OAuth 2.0, webhooks, limits, faults).

Written from Intuit's documented behaviour (see /work/shared/docs/qbo.md); it never imports the client code.
Run it with `ledgerlink sandbox qbo --port 8081` or `python -m sandbox.qbo`.
"""

from __future__ import annotations

import argparse
import sys

from werkzeug.serving import make_server

from .app import create_app

__all__ = ["create_app", "main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ledgerlink sandbox qbo", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--limits", action="store_true", help="enforce Intuit's throttles (500/min, 10 concurrent, "
                        "40 batch/min per realm)")
    parser.add_argument("--batch-item-metering", action="store_true",
                        help="each batch item counts against 500/min (default: a batch counts once)")
    parser.add_argument("--time-scale", type=float, default=1.0, help="divide the limiter's minute by this factor")
    parser.add_argument("--fault-rate", type=float, default=0.0,
                        help="share of API calls that fail (spread over 429/500/503/slow/drop-after-commit)")
    parser.add_argument("--fault-seed", type=int, default=None)
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-verifier")
    parser.add_argument("--db", help="SQLite file (default: in memory)")
    parser.add_argument("--realms", type=int, default=0, help="create this many sample companies at start")
    args = parser.parse_args(argv)
    app = create_app(db=args.db, limits=args.limits, batch_item_metering=args.batch_item_metering,
                     time_scale=args.time_scale, fault_rate=args.fault_rate, fault_seed=args.fault_seed,
                     webhook_url=args.webhook_url, webhook_verifier=args.webhook_verifier, realms=args.realms)
    server = make_server(args.host, args.port, app, threaded=True)
    sb = app.extensions["qbo_sandbox"]
    realms = ", ".join(sb.store.realms) or "none yet (POST /_sandbox/realms or authorise)"
    print(f"QuickBooks Online sandbox on http://{args.host}:{server.server_port}  "  # noqa: T201
          f"(discovery: /.well-known/openid-configuration; realms: {realms})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sb.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
