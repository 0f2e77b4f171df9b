"""What every /v3 call goes through: count it, check the bearer token, admit it under the limits, maybe inject a
fault, replay a known `requestid`, run it under the store lock, remember it, notify webhooks."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable

from flask import Response, request

from . import faults
from .entities import Ctx
from .oauth import check_access
from .service import Events
from .state import Sandbox, fault_response, json_response, sandbox

UNAVAILABLE_PAGE = ("<html><head><title>503 Service Temporarily Unavailable</title></head><body><center>"
                    "<h1>503 Service Temporarily Unavailable</h1></center></body></html>")


def _gateway(sb: Sandbox, status: int, detail: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'} if status == 401 else {}
    return json_response(faults.gateway_envelope(status, detail, int(sb.clock.time() * 1000)), status, headers)


def _drop_connection() -> None:
    """Close the client's connection without an answer (the write has been committed)."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _options() -> set[str]:
    return {part.strip().lower() for part in request.args.get("include", "").split(",") if part.strip()}


def run(realm_id: str, entity: str, operation: str, work: Callable[[Ctx, Events], Response], *,
        write: bool = False, weight: int = 1, batch: bool = False) -> Response:
    sb = sandbox()
    label = request.path.split(f"/company/{realm_id}", 1)[-1] or "/"
    label = "/" + "/".join(label.strip("/").split("/")[:1])
    sb.stats.add(realm_id, f"{request.method} {label}", entity, operation)
    response = _run(sb, realm_id, operation, work, write, weight, batch)
    sb.stats.status(realm_id, response.status_code)
    return response


def _run(sb: Sandbox, realm_id: str, operation: str, work, write: bool, weight: int, batch: bool) -> Response:
    denied = check_access(sb, realm_id)
    if denied is not None:
        return _gateway(sb, *denied)
    release = sb.limiter.admit(realm_id, weight, batch)
    if release is None:
        return fault_response(faults.throttled())
    try:
        injected = sb.limiter.pick_fault()
        if injected:
            sb.stats.fault(realm_id, injected)
        if injected == "429":
            return fault_response(faults.throttled())
        if injected == "500":
            return fault_response(faults.server_error())
        if injected == "503":
            return Response(UNAVAILABLE_PAGE, status=503, content_type="text/html")
        if injected == "slow":
            time.sleep(sb.limiter.slow_delay())
        response = _execute(sb, realm_id, work, write)
        if injected == "drop_after_commit":
            _drop_connection()
        return response
    finally:
        release()


def _execute(sb: Sandbox, realm_id: str, work, write: bool) -> Response:
    requestid = request.args.get("requestid", "") if write else ""
    if len(requestid) > 50:
        return fault_response(faults.business(
            f"You cannot enter more than 50 characters in the request_id field. You tried entering "
            f"{requestid[:10]}..., which is {len(requestid)} characters."))
    events = Events()
    with sb.store.lock:
        realm = sb.store.realm(realm_id)
        if requestid:
            cached = sb.store.recall(realm, requestid)
            if cached is not None:  # same requestid: the first answer again, nothing new created
                status, body, ctype = cached
                return Response(body, status=status, content_type=ctype)
        ctx = Ctx(sb.store, realm, sb.clock.now(), _options())
        try:
            response = work(ctx, events)
        except faults.QboFault as fault:
            response = fault_response(fault)
        if requestid and response.status_code < 500:
            sb.store.remember(realm, requestid, response.status_code, response.get_data(), response.content_type)
    sb.webhooks.publish(realm_id, events.items)
    return response


def json_body() -> object:
    """The request body as JSON, or a QBO-style 2010 fault."""
    raw = request.get_data(as_text=True)
    try:
        return json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise faults.invalid_property(f"Request has invalid or unsupported property: {exc.msg} at line "
                                      f"{exc.lineno}, column {exc.colno}") from None
