"""Companies the token can see, the current user (`/me`) and the company directory's users."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

from .. import errors
from ..context import company_param, visible_company, visible_company_ids
from ..errors import json_response
from ..state import current
from ..store import Record
from .common import filtered, page

bp = Blueprint("procore_companies", __name__)

USER_FIELDS = ("address", "avatar", "business_id", "business_phone", "business_phone_extension", "city", "contact_id",
               "country_code", "created_at", "email_address", "email_signature", "employee_id",
               "erp_integrated_accountant", "fax_number", "first_name", "id", "initials", "is_active", "is_employee",
               "job_title", "last_login_at", "last_name", "mobile_phone", "name", "notes", "origin_id",
               "origin_data", "state_code", "updated_at", "welcome_email_sent_at", "zip", "work_classification_id",
               "permission_template", "company_permission_template", "vendor")
# Show trades the list's template objects and ERP/welcome fields for template ids and the insurance flag.
SHOW_USER_FIELDS = tuple(k for k in USER_FIELDS if k not in (
    "permission_template", "company_permission_template", "erp_integrated_accountant", "welcome_email_sent_at")) + (
    "company_permission_template_id", "default_permission_template_id", "is_insurance_manager")


def serialize_company(company: Record) -> dict[str, Any]:
    my = g.token.get("user_id") is not None and company["id"] in (
        (current().store.get("users", g.token["user_id"]) or {}).get("company_ids") or [])
    return {"id": company["id"], "name": company["name"], "is_active": company.get("is_active", True),
            "logo_url": company.get("logo_url"), "pcn_business_experience": False, "my_company": my}


def serialize_user(user: Record, fields: tuple[str, ...] = USER_FIELDS) -> dict[str, Any]:
    first, last = user.get("first_name") or "", user.get("last_name") or ""
    vendor = current().store.get("vendors", user["vendor_id"]) if user.get("vendor_id") else None
    derived = {"name": f"{first} {last}".strip(), "initials": (first[:1] + last[:1]).upper(),
               "vendor": {"id": vendor["id"], "name": vendor["name"]} if vendor else None,
               "is_insurance_manager": False}
    return {k: derived[k] if k in derived and user.get(k) is None else user.get(k) for k in fields}


@bp.get("/rest/v1.0/companies")
def list_companies():
    ids = visible_company_ids(g.token)
    companies = [c for c in current().store.all("companies") if c["id"] in ids]
    return page(companies, serialize_company)


@bp.get("/rest/v1.0/me")
@bp.get("/rest/v1.1/me")
def me():
    user = current().store.get("users", g.token.get("user_id")) or {}
    name = f"{user.get('first_name') or ''} {user.get('last_name') or ''}".strip()
    return json_response({"id": user.get("id"), "login": user.get("email_address"), "name": name or None})


def _users(company: Record) -> list[Record]:
    users = [u for u in current().store.all("users")
             if u.get("company_ids") is not None and company["id"] in u["company_ids"]]
    return filtered(users, ("first_name", "last_name", "email_address", "job_title"))


def _user(company: Record, user_id: int) -> Record:
    user = current().store.get("users", user_id)
    if user is None or company["id"] not in (user.get("company_ids") or []):
        raise errors.not_found("User")
    return user


@bp.get("/rest/v1.0/companies/<int:company_id>/users")
@bp.get("/rest/v1.1/companies/<int:company_id>/users")
def list_company_users(company_id: int):
    return page(_users(visible_company(company_id)), serialize_user)


@bp.get("/rest/v1.0/users")
def list_users():
    return page(_users(company_param()), serialize_user)


@bp.get("/rest/v1.0/companies/<int:company_id>/users/<int:user_id>")
def show_company_user(company_id: int, user_id: int):
    return json_response(serialize_user(_user(visible_company(company_id), user_id), SHOW_USER_FIELDS))


@bp.get("/rest/v1.0/users/<int:user_id>")
def show_user(user_id: int):
    return json_response(serialize_user(_user(company_param(), user_id), SHOW_USER_FIELDS))
