"""WSGI app factory for the QuickBooks Online sandbox."""

from __future__ import annotations

import logging

from flask import Flask, redirect, request

from . import admin, api, oauth, web_view
from .limits import FAULT_KINDS, LimitConfig
from .state import Sandbox, json_response

log = logging.getLogger(__name__)


def create_app(*, db: str | None = None, limits: bool = False, batch_item_metering: bool = False,
               time_scale: float = 1.0, fault_rate: float = 0.0, fault_rates: dict | None = None,
               fault_seed: int | None = None, webhook_url: str | None = None, webhook_verifier: str | None = None,
               refresh_grace_seconds: int | None = None, realms: int = 0, slow_seconds: float | None = None,
               **unknown) -> Flask:
    """Build the app. `fault_rate` spreads one share evenly over the five fault kinds; `fault_rates` sets each."""
    if unknown:
        log.warning("sandbox.qbo.create_app: ignoring unknown options %s", sorted(unknown))
    config = LimitConfig(enabled=limits, batch_item_metering=batch_item_metering, time_scale=time_scale,
                         fault_seed=fault_seed)
    if fault_rate:
        config.fault_rates.update({k: fault_rate / len(FAULT_KINDS) for k in FAULT_KINDS})
    if fault_rates:
        config.fault_rates.update({k: float(v) for k, v in fault_rates.items() if k in FAULT_KINDS})
    if slow_seconds is not None:
        config.slow_seconds = slow_seconds
    sb = Sandbox(db, config, webhook_url, webhook_verifier)
    if refresh_grace_seconds is not None:
        sb.oauth.grace = refresh_grace_seconds
    for _ in range(realms):
        sb.new_realm()
    app = Flask("sandbox.qbo")
    app.extensions["qbo_sandbox"] = sb
    app.register_blueprint(oauth.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(web_view.bp)  # the read-only QuickBooks pages people open

    @app.get("/")
    def index():
        if web_view.wants_page():
            return redirect("/app/homepage")
        return json_response({"service": "QuickBooks Online sandbox", "discovery": "/.well-known/openid-configuration",
                              "api": "/v3/company/{realmId}/...", "admin": "/_sandbox/..."})

    @app.errorhandler(404)
    @app.errorhandler(405)
    def unsupported(error):
        return json_response({"Fault": {"Error": [{"Message": "Unsupported Operation",
                                                   "Detail": f"Operation {request.method} {request.path} is not "
                                                             "supported.", "code": "500"}],
                                        "type": "ValidationFault"}}, error.code)

    return app
