"""Procore-shaped error responses, raised as `ApiError` anywhere in a handler.

Procore's error bodies are not uniform (https://developers.procore.com/documentation/error-reference):
validation failures carry `{"errors": {field: [messages]}}`; other failures (403 included) `{"errors": "text"}`
or `{"message": ..., "error": ...}`; a rate-limited call `{"error": {"error": "text"}}`; the token endpoint
answers in OAuth 2.0 form `{"error", "error_description"}`.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response

JSON_MIMETYPE = "application/json"

MISSING_COMPANY_HEADER = (
    "Missing Procore-Company-Id header! Each call your application makes to the Procore API must contain a "
    "request header that includes the Procore-Company-Id field. This request header field specifies the id "
    "of the company into which you are making the call."
)
NOT_CONNECTED = "App is not connected to this company."
INVALID_TOKEN = "The access token is invalid"  # noqa: S105 - a message, not a secret
EXPIRED_TOKEN = "The access token expired"  # noqa: S105
REVOKED_TOKEN = "The access token was revoked"  # noqa: S105


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype=JSON_MIMETYPE)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class ApiError(Exception):
    """An error answer: status plus JSON body (and optional headers)."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        return json_response(self.body, self.status, self.headers)


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"errors": message})


def missing_param(name: str) -> ApiError:
    return bad_request(f"{name} is missing")


def unauthorized(description: str = INVALID_TOKEN) -> ApiError:
    # Doorkeeper (Procore's OAuth provider) answers bad bearer tokens like this.
    challenge = f'Bearer realm="Doorkeeper", error="invalid_token", error_description="{description}"'
    return ApiError(401, {"error": "invalid_token", "error_description": description},
                    {"WWW-Authenticate": challenge})


def forbidden(message: str = "You do not have permission to perform this action.") -> ApiError:
    return ApiError(403, {"errors": message})  # a string, as Procore's 403 schema has it


def not_found(what: str = "Resource") -> ApiError:
    return ApiError(404, {"errors": f"{what} not found"})


def invalid(errors: dict[str, list[str]], status: int = 422) -> ApiError:
    return ApiError(status, {"errors": errors})


def conflict(field: str = "origin_id", message: str = "has already been taken") -> ApiError:
    return ApiError(409, {"errors": {field: [message]}})


def business_rule(message: str, error: str | None = None) -> ApiError:
    return ApiError(422, {"message": message, "error": error or message})
