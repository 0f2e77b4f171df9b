"""Web links to the records people recognise: the Procore page of an item and the QuickBooks page of its export.

Procore web paths follow Procore's own documented page routes (developers.procore.com, "Building Side Panel
Applications": the view keys and sample paths of each tool), e.g.
  /{project_id}/project/commitments/work_order_contracts/{id}
  /{project_id}/project/commitments/purchase_order_contracts/{id}/requisitions/{invoice_id}
  /{project_id}/project/commitments/purchase_order_contracts/{id}/change_orders/commitment_contract_change_orders/{id}
  /{project_id}/project/prime_contracts/{contract_id}/payment_applications/{id}
  /{project_id}/project/prime_contracts/{contract_id}/change_orders/change_order_packages/{id}
  /{project_id}/project/budgets/budget_details, /{project_id}/project/home
Company-level pages use /{company_id}/company/... (the Company Directory for vendors).
QuickBooks Online deep links are /app/<entity>?txnId=<Id> for transactions and /app/<kind>detail?nameId=<Id> for
names (vendors, customers/projects). Both bases are configurable (PROCORE_WEB_URL, QBO_APP_URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROCORE_WEB = "https://app.procore.com"
QBO_APP = "https://app.qbo.intuit.com"
QBO_SANDBOX_APP = "https://app.sandbox.qbo.intuit.com"

_CONTRACT_PATHS = {
    "workordercontract": "work_order_contracts", "work_order_contract": "work_order_contracts",
    "work_order_contracts": "work_order_contracts", "subcontract": "work_order_contracts",
    "purchaseordercontract": "purchase_order_contracts", "purchase_order_contract": "purchase_order_contracts",
    "purchase_order_contracts": "purchase_order_contracts", "purchase_order": "purchase_order_contracts",
}

# QuickBooks entity an item type becomes, and how its page is addressed
_QBO_PAGES = {
    "company": ("vendordetail", "nameId"), "project": ("customerdetail", "nameId"),
    "sub_job": ("customerdetail", "nameId"), "sub_invoice": ("bill", "txnId"),
    "owner_invoice": ("invoice", "txnId"), "commitment": ("purchaseorder", "txnId"),
    "cco": ("purchaseorder", "txnId"), "pcco": ("estimate", "txnId"),
}


@dataclass(frozen=True)
class Links:
    procore_web: str = PROCORE_WEB
    qbo_app: str = QBO_APP

    def procore(self, item_type: str, procore_id: str | int | None, *, project_id: int | None,
                company_id: int | None, detail: Mapping[str, Any] | None = None) -> str | None:
        """The Procore page of an item, or None when the ids needed are unknown."""
        d = detail or {}
        if isinstance(d.get("procore_url"), str) and d["procore_url"].startswith("https://"):
            return d["procore_url"]
        base = self.procore_web.rstrip("/")
        rid = procore_id
        project = project_id or _int(d.get("project_id"))
        contract_kind = _CONTRACT_PATHS.get(str(d.get("contract_type") or d.get("commitment_type") or
                                                "work_order_contract").lower())
        contract = d.get("commitment_id") or d.get("contract_id")
        if item_type == "company":
            return f"{base}/{company_id}/company/directory/vendors/{rid}" if company_id and rid else None
        if not project:
            return None
        proj = f"{base}/{project}/project"
        match item_type:
            case "project" | "sub_job":
                return f"{proj}/home"
            case "cost_code" | "budget":
                return f"{proj}/budgets/budget_details"
            case "commitment":
                return f"{proj}/commitments/{contract_kind}/{rid}" if rid else None
            case "sub_invoice":
                if contract and rid:
                    return f"{proj}/commitments/{contract_kind}/{contract}/requisitions/{rid}"
                return f"{proj}/commitments"
            case "cco":
                if contract and rid:
                    return (f"{proj}/commitments/{contract_kind}/{contract}/change_orders/"
                            f"commitment_contract_change_orders/{rid}")
                return f"{proj}/commitments"
            case "owner_invoice":
                prime = d.get("prime_contract_id") or d.get("contract_id")
                if prime and rid:
                    return f"{proj}/prime_contracts/{prime}/payment_applications/{rid}"
                return f"{proj}/prime_contracts"
            case "pcco":
                prime = d.get("prime_contract_id") or d.get("contract_id")
                if prime and rid:
                    return f"{proj}/prime_contracts/{prime}/change_orders/change_order_packages/{rid}"
                return f"{proj}/prime_contracts"
        return f"{proj}/home"

    def qbo(self, item_type: str, remote_id: str | None) -> str | None:
        """The QuickBooks page of an exported item, or None (cost-code items have no page of their own)."""
        if not remote_id:
            return None
        page = _QBO_PAGES.get(item_type)
        base = self.qbo_app.rstrip("/")
        if page is None:
            return f"{base}/app/items"
        path, key = page
        return f"{base}/app/{path}?{key}={remote_id}"


def qbo_app_for(environment: str) -> str:
    """QBO's web app for a QBO_ENVIRONMENT value (a local discovery URL means the sandbox's app)."""
    return QBO_APP if environment == "production" else QBO_SANDBOX_APP


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
