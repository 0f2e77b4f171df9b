"""Progress billing arithmetic (AIA G702/G703) shared by subcontractor invoices and owner invoices.

A billing document (requisition or payment application) stores, per schedule-of-values line, only what a
person enters for the period: work completed this period, materials presently stored, the retainage
percent and any retainage released. Everything "previous" and every total is derived from the earlier
documents on the same contract, the way Procore's summary (`summary` / `g702`) and line items do.
Money is Decimal throughout and leaves as a two-decimal string, as Procore sends it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal("0")
CENT = Decimal("0.01")


def dec(value: Any) -> Decimal:
    if value in (None, ""):
        return ZERO
    return Decimal(str(value))


def money(value: Any) -> str:
    return str(dec(value).quantize(CENT, rounding=ROUND_HALF_UP))


def percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole) if whole else ZERO


def progress(documents: list[dict[str, Any]], lines_key: str, schedule: dict[Any, Decimal],
             default_pct: Decimal) -> dict[int, dict[str, Any]]:
    """Compute every document on one contract in billing order: {doc id: {"lines": [...], "g702": {...}}}."""
    prior_work: dict[Any, Decimal] = {}
    prior_retainage: dict[Any, Decimal] = {}
    previous_earned = ZERO
    contract_sum = sum(schedule.values(), ZERO)
    out: dict[int, dict[str, Any]] = {}
    for doc in sorted(documents, key=lambda d: (d.get("number") or 0, d["id"])):
        lines, totals = [], {k: ZERO for k in ("completed", "work_ret", "mat_ret", "claimed", "this_period")}
        for position, item in enumerate(doc.get(lines_key) or [], start=1):
            key = item.get("line_item_id") or item.get("cost_code_id") or position
            scheduled = schedule.get(key, dec(item.get("scheduled_value")))
            previous = dec(item["work_completed_from_previous_application"]) \
                if "work_completed_from_previous_application" in item else prior_work.get(key, ZERO)
            this_period = dec(item.get("work_completed_this_period"))
            stored = dec(item.get("materials_presently_stored"))
            work_pct = dec(item.get("work_completed_retainage_percent_this_period", default_pct))
            mat_pct = dec(item.get("materials_stored_retainage_percent_this_period", default_pct))
            retained_now = dec(item["work_completed_retainage_retained_this_period"]) \
                if "work_completed_retainage_retained_this_period" in item \
                else (this_period * work_pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            retained_before = dec(item["work_completed_retainage_from_previous_application"]) \
                if "work_completed_retainage_from_previous_application" in item else prior_retainage.get(key, ZERO)
            released = dec(item.get("work_completed_retainage_released_this_period"))
            mat_retained = (stored * mat_pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            mat_released = dec(item.get("materials_stored_retainage_released_this_period"))
            completed = previous + this_period + stored
            work_ret_total = retained_before + retained_now - released
            lines.append({
                "id": item.get("id"), "line_item_id": item.get("line_item_id"),
                "cost_code_id": item.get("cost_code_id"), "description_of_work": item.get("description_of_work"),
                "scheduled_value": money(scheduled),
                "work_completed_from_previous_application": money(previous),
                "work_completed_this_period": money(this_period),
                "materials_presently_stored": money(stored),
                "total_completed_and_stored_to_date": money(completed),
                "total_completed_and_stored_to_date_percent": money(percent(completed, scheduled)),
                "balance_to_finish": money(scheduled - completed),
                "work_completed_retainage_from_previous_application": money(retained_before),
                "work_completed_retainage_retained_this_period": money(retained_now),
                "work_completed_retainage_percent_this_period": money(work_pct),
                "work_completed_retainage_released_this_period": money(released),
                "work_completed_retainage_currently_retained": money(work_ret_total),
                "materials_stored_retainage_currently_retained": money(mat_retained - mat_released),
                "materials_stored_retainage_percent_this_period": money(mat_pct),
                "materials_stored_retainage_released_this_period": money(mat_released),
                "total_retainage_currently_retained": money(work_ret_total + mat_retained - mat_released),
            })
            prior_work[key] = previous + this_period
            prior_retainage[key] = work_ret_total
            totals["completed"] += completed
            totals["work_ret"] += work_ret_total
            totals["mat_ret"] += mat_retained - mat_released
            totals["claimed"] += this_period + stored
            totals["this_period"] += this_period + stored
        total_retainage = totals["work_ret"] + totals["mat_ret"]
        earned = totals["completed"] - total_retainage
        g702 = {
            "balance_to_finish_including_retainage": money(contract_sum - earned),
            "completed_work_retainage_percent": money(default_pct),
            "completed_work_retainage_amount": money(totals["work_ret"]),
            "contract_sum_to_date": money(contract_sum),
            "current_payment_due": money(earned - previous_earned),
            "formatted_period": _period(doc),
            "less_previous_certificates_for_payment": money(previous_earned),
            "negative_change_order_item_total": "0.00",
            "negative_new_change_order_item_total": "0.00",
            "negative_previous_change_order_item_total": "0.00",
            "net_change_by_change_orders": "0.00",
            "original_contract_sum": money(contract_sum),
            "positive_change_order_item_total": "0.00",
            "positive_new_change_order_item_total": "0.00",
            "positive_previous_change_order_item_total": "0.00",
            "stored_materials_retainage_amount": money(totals["mat_ret"]),
            "stored_materials_retainage_percent": money(default_pct),
            "tax_applicable_to_this_payment": "0.00",
            "total_completed_and_stored_to_date": money(totals["completed"]),
            "total_earned_less_retainage": money(earned),
            "total_retainage": money(total_retainage),
        }
        out[doc["id"]] = {"lines": lines, "g702": g702, "claimed": money(totals["claimed"]),
                          "this_period": money(totals["this_period"]),
                          "percent_complete": f"{money(percent(totals['completed'], contract_sum))}%"}
        previous_earned = earned
    return out


def _period(doc: dict[str, Any]) -> str:
    start = doc.get("requisition_start") or doc.get("period_start")
    end = doc.get("requisition_end") or doc.get("period_end")
    if not start or not end:
        return ""
    return f"{start[5:7]}/{start[8:10]}/{start[2:4]} - {end[5:7]}/{end[8:10]}/{end[2:4]}"
