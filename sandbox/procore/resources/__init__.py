"""The `/rest/...` API, one module per Procore resource family."""

from __future__ import annotations

from flask import Flask

from . import (
    budget,
    change_orders,
    commitments,
    companies,
    cost_codes,
    direct_costs,
    payment_apps,
    payments,
    prime_contracts,
    prime_payments,
    projects,
    requisitions,
    sub_jobs,
    vendors,
    workflows,
)


def register(app: Flask) -> None:
    for module in (companies, projects, vendors, cost_codes, budget, commitments, requisitions, payment_apps,
                   payments, direct_costs, prime_contracts, prime_payments,
                   change_orders, sub_jobs, workflows):
        app.register_blueprint(module.bp)
