"""The web page that plays the Slack client: `/?as=U…&c=C…` (or `c=app&tab=home|messages`).

Server-rendered; its small script posts to /_sandbox/ui/* (the same dispatch the test endpoints use) and polls
/_sandbox/ui/state for fresh HTML fragments. No external resources are loaded.
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from markupsafe import Markup, escape

from sandbox.slack import dispatch
from sandbox.slack.render import Renderer

bp = Blueprint("slack_page", __name__, template_folder="templates")


def _sandbox():
    return current_app.config["SLACK_SANDBOX"]


class View:
    """What one viewer sees: the sidebar, the selected conversation or App Home tab, and their top modal."""

    def __init__(self, sandbox, as_: str | None, conv_ref: str | None, tab: str | None) -> None:
        store = sandbox.store
        self.sandbox = sandbox
        self.people = [u for u in store.users() if not u.get("is_bot")]
        viewer = store.user(as_ or "")
        self.viewer = viewer if viewer and not viewer.get("is_bot") else (self.people[0] if self.people else
                                                                          store.user(sandbox.ws.bot_user_id))
        vid = self.viewer["id"]
        self.channels = [c for c in store.conversations("channel") if store.is_member(c["id"], vid)]
        self.tab = tab if tab in ("home", "messages") else "home"
        self.conv = None
        if conv_ref != "app":
            conv = sandbox.resolve_channel(conv_ref, names=True) if conv_ref else None
            if conv is None or not (conv in self.channels or conv.get("user") == vid):
                conv = next((c for c in self.channels if c["name"] == "accounting"), None) or (
                    self.channels[0] if self.channels else None)
            self.conv = conv
        names = {u["id"]: u["real_name"] for u in store.users()}
        names[sandbox.ws.bot_user_id] = sandbox.ws.app_name
        names.update({c["id"]: c["name"] for c in store.conversations("channel")})
        self.r = Renderer(names, self.people, store.conversations("channel"), tz=self.viewer.get("tz"),
                          tz_offset=int(self.viewer.get("tz_offset") or 0))

    @property
    def conversation_key(self) -> str:
        return self.conv["id"] if self.conv else "app"

    def sidebar(self) -> Markup:
        sb, vid = self.sandbox, self.viewer["id"]
        items = ['<div class="side-head">Channels</div>']
        for c in self.channels:
            active = " active" if self.conv and self.conv["id"] == c["id"] else ""
            lock = "🔒" if c.get("is_private") else "#"
            items.append(f'<a class="side-item{active}" data-conversation-id="{escape(c["id"])}" '
                         f'href="/?as={vid}&c={c["id"]}">{lock} {escape(c["name"])}</a>')
        items.append('<div class="side-head">Apps</div>')
        active = " active" if self.conv is None else ""
        items.append(f'<a class="side-item{active}" data-app-home="1" data-conversation-id="app" '
                     f'href="/?as={vid}&c=app&tab=home">🤖 {escape(sb.ws.app_name)}</a>')
        return Markup("".join(items))

    def main(self) -> Markup:
        sb, vid = self.sandbox, self.viewer["id"]
        if self.conv is not None:
            title = f'# {escape(self.conv["name"])}'
            return Markup(f'<h2 class="conv-title" data-conversation-id="{escape(self.conv["id"])}">{title}</h2>'
                          + self._messages(self.conv["id"]))
        tabs = "".join(
            f'<a class="tab{" active" if self.tab == t else ""}" data-tab="{t}" href="/?as={vid}&c=app&tab={t}">'
            f"{t.title()}</a>" for t in ("home", "messages"))
        head = f'<h2 class="conv-title" data-conversation-id="app">🤖 {escape(sb.ws.app_name)}</h2>' \
               f'<nav class="tabs">{tabs}</nav>'
        if self.tab == "messages":
            im = sb.store.im_with(vid)
            return Markup(head + (self._messages(im["id"]) if im else '<div id="messages" class="messages">'
                                  '<p class="empty">No messages yet.</p></div>'))
        home = sb.store.home_view(vid)
        if home is None:
            return Markup(head + '<div id="home" class="home empty">This app has not published a Home tab for '
                                 'you yet.</div>')
        view = home["view"]
        return Markup(head + f'<div id="home" class="home" data-view-id="{escape(view["id"])}" '
                             f'data-callback-id="{escape(view.get("callback_id", ""))}">'
                      + str(self.r.blocks(view["blocks"], surface="home")) + "</div>")

    def _messages(self, conv_id: str) -> str:
        msgs = self.sandbox.store.messages(conv_id, viewer=self.viewer["id"])
        body = "".join(str(self.r.message(m)) for m in msgs if m.get("thread_ts") in (None, m["ts"]))
        return (f'<div id="messages" class="messages" data-conversation-id="{escape(conv_id)}">'
                f'{body or "<p class=empty>No messages yet.</p>"}</div>')

    def modal(self) -> tuple[Markup, str]:
        stack = self.sandbox.store.modal_stack(self.viewer["id"])
        if not stack:
            return Markup(""), ""
        row = stack[-1]
        view = row["view"]
        key = hashlib.sha1(json.dumps([view["id"], view["hash"], row["errors"], len(stack)]).encode(),
                           usedforsecurity=False).hexdigest()
        submit = (f'<button type="submit" class="btn btn-primary" data-modal-submit>'
                  f'{self.r.text(view["submit"])}</button>' if view.get("submit") else "")
        close = self.r.text(view["close"]) if view.get("close") else "Cancel"
        depth = f'<span class="depth">{len(stack)} of 3</span>' if len(stack) > 1 else ""
        html = (f'<form class="modal-view" data-view-id="{escape(view["id"])}" '
                f'data-callback-id="{escape(view.get("callback_id", ""))}">'
                f'<header><span class="modal-title">{self.r.text(view["title"])}</span>{depth}'
                f'<button type="button" class="modal-x" data-modal-close aria-label="Close">×</button></header>'
                f'<div class="modal-body">{self.r.blocks(view["blocks"], errors=row["errors"], surface="modal")}'
                f'</div><footer><button type="button" class="btn" data-modal-close>{close}</button>{submit}'
                f"</footer></form>")
        return Markup(html), key

    def state(self) -> dict:
        modal, key = self.modal()
        return {"version": self.sandbox.store.version, "viewer": self.viewer["id"],
                "conversation": self.conversation_key, "tab": self.tab, "sidebar": str(self.sidebar()),
                "main": str(self.main()), "modal": str(modal), "modal_key": key}


@bp.get("/")
def index() -> str:
    sandbox = _sandbox()
    view = View(sandbox, request.args.get("as"), request.args.get("c"), request.args.get("tab"))
    if sandbox.store.modal_stack(view.viewer["id"]):
        sandbox.store.close_views(view.viewer["id"])  # as in Slack, reloading the client drops open modals
    modal, key = view.modal()
    where = f'#{view.conv["name"]}' if view.conv else sandbox.ws.app_name
    return render_template("slack_page.html", ws=sandbox.ws, view=view, people=view.people, modal=modal,
                           modal_key=key, version=sandbox.store.version, where=where,
                           focus=request.args.get("ts", ""))


@bp.get("/_sandbox/ui/state")
def state() -> Response:
    view = View(_sandbox(), request.args.get("as"), request.args.get("conversation"), request.args.get("tab"))
    return jsonify(view.state())


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _run(fn, **kwargs) -> Response:
    try:
        return jsonify(fn(_sandbox(), **kwargs))
    except dispatch.NotFound as exc:
        resp = jsonify({"ok": False, "error": str(exc)})
        resp.status_code = 404
        return resp


@bp.post("/_sandbox/ui/click")
def ui_click() -> Response:
    b = _body()
    return _run(dispatch.click, user=b.get("as"), action_id=b.get("action_id"), block_id=b.get("block_id"),
                channel=b.get("channel"), ts=b.get("ts"), view_id=b.get("view_id"), value=b.get("value"),
                values=b.get("values"))


@bp.post("/_sandbox/ui/command")
def ui_command() -> Response:
    b = _body()
    return _run(dispatch.command, user=b.get("as"), text=b.get("text", ""), channel=b.get("conversation"))


@bp.post("/_sandbox/ui/say")
def ui_say() -> Response:
    """A plain message typed in the composer (the app subscribes to no message events, so it stays local)."""
    sandbox, b = _sandbox(), _body()
    conv = sandbox.resolve_channel(b.get("conversation"), names=True)
    if conv is None or sandbox.store.user(b.get("as") or "") is None or not b.get("text"):
        resp = jsonify({"ok": False, "error": "channel_not_found"})
        resp.status_code = 404
        return resp
    msg = sandbox.user_message(b["as"], b["text"])
    sandbox.store.add_message(conv["id"], msg)
    return jsonify({"ok": True, "ts": msg["ts"]})


@bp.post("/_sandbox/ui/submit")
def ui_submit() -> Response:
    b = _body()
    return _run(dispatch.submit, user=b.get("as"), view_id=b.get("view_id"), values=b.get("values"))


@bp.post("/_sandbox/ui/close")
def ui_close() -> Response:
    b = _body()
    return _run(dispatch.close, user=b.get("as"), view_id=b.get("view_id"))


@bp.post("/_sandbox/ui/suggest")
def ui_suggest() -> Response:
    b = _body()
    return _run(dispatch.suggest, user=b.get("as"), action_id=b.get("action_id"), value=b.get("value", ""),
                block_id=b.get("block_id"), view_id=b.get("view_id"), channel=b.get("channel"), ts=b.get("ts"))


@bp.post("/_sandbox/ui/home")
def ui_home() -> Response:
    b = _body()
    return _run(dispatch.app_home_opened, user=b.get("as"), tab=b.get("tab", "home"))


@bp.get("/_sandbox/files/<file_id>")
def file_download(file_id: str) -> Response:
    found = _sandbox().store.file(file_id)
    if found is None or found[1] is None:
        return Response("not found", status=404, mimetype="text/plain")
    meta, content = found
    return Response(content, mimetype=(meta.get("object") or {}).get("mimetype", "application/octet-stream"),
                    headers={"Content-Disposition": f'inline; filename="{meta["name"]}"'})
