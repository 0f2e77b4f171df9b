"""Block Kit → HTML for the sandbox page, server-side (one renderer; the page's script only swaps fragments).

Every interactive element carries `data-action-id`, `data-block-id` and `data-kind` (its Block Kit type);
messages carry `data-ts`/`data-channel`, views `data-view-id`, so a browser test can find and click them.
"""

from __future__ import annotations

import html
import json
import re

from markupsafe import Markup, escape

from sandbox.slack import slack_files
from sandbox.slack.dates import date_token, format_date, viewer_zone
from sandbox.slack.emoji import EMOJI, emojify

_TOKEN = re.compile(r"<([^<>]+)>")
_STASHED = re.compile("\x00(\\d+)\x00")
_CODE_BLOCK = re.compile(r"```(.+?)```", re.S)
_QUOTE = "&gt;"  # a line starting with ">" (escaped by now) is quoted; ">>>" quotes the rest of the message
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
_INLINE = [(re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
           (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), r"<b>\1</b>"),
           (re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])"), r"<i>\1</i>"),
           (re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])"), r"<s>\1</s>")]


def _attr(value) -> str:
    return html.escape(value if isinstance(value, str) else json.dumps(value), quote=True)


def _link(url: str, inner: str) -> str:
    return f'<a href="{_attr(url)}" target="_blank" rel="noopener noreferrer">{inner}</a>'


def _quotes(text: str) -> str:
    """Slack's block quotes: consecutive lines starting with ">" form one quote; ">>>" quotes everything after."""
    out: list[str] = []
    quoted: list[str] = []
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if line.startswith(_QUOTE * 3):
            quoted.append("\n".join([line[len(_QUOTE) * 3:].lstrip(), *lines[n + 1:]]))
            break
        if line.startswith(_QUOTE):
            quoted.append(line[len(_QUOTE):].removeprefix(" "))
            continue
        if quoted:
            out.append(f"<blockquote>{'<br>'.join(quoted)}</blockquote>")
            quoted = []
        out.append(line)
    if quoted:
        out.append(f"<blockquote>{'<br>'.join(quoted)}</blockquote>")
    return "\n".join(out).replace("</blockquote>\n", "</blockquote>")


class Renderer:
    """Renders for one viewer; `names` maps user and channel ids to display names; dates show in the viewer's
    time zone (`tz` name, else `tz_offset` seconds), the same zone the message headers use."""

    def __init__(self, names: dict[str, str], users: list[dict], channels: list[dict], *, tz: str | None = None,
                 tz_offset: int = 0) -> None:
        self.names = names
        self.users = users
        self.channels = channels
        self.zone = viewer_zone(tz, tz_offset)

    # text -----------------------------------------------------------------------------------------------
    def mrkdwn(self, text: str) -> Markup:
        # links and mentions are set aside first, so *bold <link|text>* is bold around the link, as in Slack
        tokens: list[str] = []

        def stash(m: re.Match) -> str:
            tokens.append(self._token(m.group(1)))
            return f"\x00{len(tokens) - 1}\x00"

        joined = _STASHED.sub(lambda m: tokens[int(m.group(1))], self._plain_md(_TOKEN.sub(stash, text)))
        joined = _CODE_BLOCK.sub(lambda m: f"<pre>{m.group(1)}</pre>", joined)
        return Markup(_quotes(joined).replace("\n", "<br>"))

    def _plain_md(self, text: str) -> str:
        s = str(escape(emojify(html.unescape(text))))
        for pattern, repl in _INLINE:
            s = pattern.sub(repl, s)
        return s

    def _token(self, token: str) -> str:
        target, _, label = token.partition("|")
        target = html.unescape(target)
        if target.startswith("@"):
            return f'<span class="mention">@{escape(self.names.get(target[1:], label or target[1:]))}</span>'
        if target.startswith("#"):
            return f'<span class="mention">#{escape(self.names.get(target[1:], label or target[1:]))}</span>'
        if target.startswith("!date^"):
            text, url = date_token(target[1:], html.unescape(label), self.zone)
            shown = f'<time class="date">{escape(text)}</time>'
            return _link(url, shown) if url else shown
        if target.startswith("!subteam^"):
            return f'<span class="mention">{escape(label or "@team")}</span>'
        if target.startswith("!"):
            name = target[1:].split("^")[0]
            return f'<span class="mention">{escape(_SPECIAL.get(name, label or "@" + name))}</span>'
        # a link's label is mrkdwn too: *bold*, _italic_, ~strike~, `code` and emoji show inside it
        return _link(target, self._plain_md(label) if label else str(escape(target)))

    def text(self, obj) -> Markup:
        if not isinstance(obj, dict):
            return Markup("")
        if obj.get("type") == "mrkdwn" and not obj.get("verbatim_render"):
            return self.mrkdwn(obj.get("text", ""))
        return Markup(str(escape(emojify(obj.get("text", "")))).replace("\n", "<br>"))

    # blocks ---------------------------------------------------------------------------------------------
    def blocks(self, blocks: list | None, *, errors: dict | None = None, surface: str = "message") -> Markup:
        return Markup("").join(self.block(b, errors or {}, surface) for b in blocks or [])

    def block(self, b: dict, errors: dict, surface: str) -> Markup:
        kind, bid = b.get("type"), b.get("block_id", "")
        head = f'<div class="blk blk-{escape(kind)}" data-block-id="{_attr(bid)}" data-block-type="{escape(kind)}">'
        body = ""
        if kind == "section":
            if b.get("text"):
                body += f'<div class="sec-text">{self.text(b["text"])}</div>'
            if b.get("fields"):
                body += '<div class="fields">' + "".join(
                    f'<div class="field">{self.text(f)}</div>' for f in b["fields"]) + "</div>"
            if b.get("accessory"):
                body += f'<div class="accessory">{self.element(b["accessory"], bid, dispatch=True)}</div>'
        elif kind == "header":
            body = f"<h3>{self.text(b.get('text'))}</h3>"
        elif kind == "divider":
            body = "<hr>"
        elif kind == "context":
            # one span per element: the flex row spaces elements, not the words and links inside one
            body = '<div class="context">' + "".join(
                f"<span>{self.text(el)}</span>" if el.get("type") in ("mrkdwn", "plain_text") else self.image(el)
                for el in b.get("elements", [])) + "</div>"
        elif kind == "actions":
            body = '<div class="actions">' + "".join(
                str(self.element(el, bid, dispatch=True)) for el in b.get("elements", [])) + "</div>"
        elif kind == "image":
            title = f"<div>{self.text(b['title'])}</div>" if b.get("title") else ""
            body = title + self.image(b)
        elif kind == "input":
            optional = ' <span class="optional">(optional)</span>' if b.get("optional") else ""
            hint = f'<div class="hint">{self.text(b["hint"])}</div>' if b.get("hint") else ""
            err = errors.get(bid)
            error = (f'<div class="field-error" data-error-for="{_attr(bid)}">{escape(err)}</div>' if err else "")
            body = (f'<label class="input-label">{self.text(b.get("label"))}{optional}</label>'
                    f'{self.element(b.get("element") or {}, bid, dispatch=bool(b.get("dispatch_action")))}'
                    f"{hint}{error}")
        elif kind == "markdown":
            body = f'<div class="markdown">{self.mrkdwn(b.get("text", ""))}</div>'
        elif kind == "rich_text":
            body = f'<div class="rich-text">{self.rich_text(b.get("elements", []))}</div>'
        else:
            body = f'<div class="unsupported">[{escape(kind)} block]</div>'
        return Markup(head + str(body) + "</div>")

    def rich_text(self, elements: list) -> str:
        out = []
        for el in elements:
            if el.get("type") in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
                out.append("<p>" + "".join(self._rich_leaf(x) for x in el.get("elements", [])) + "</p>")
            elif el.get("type") == "rich_text_list":
                out.append("<ul>" + "".join(f"<li>{self.rich_text([x])}</li>" for x in el.get("elements", []))
                           + "</ul>")
        return "".join(out)

    def _rich_leaf(self, x: dict) -> str:
        if x.get("type") == "text":
            s = str(escape(x.get("text", ""))).replace("\n", "<br>")
            style = x.get("style") or {}
            return f"<b>{s}</b>" if style.get("bold") else f"<i>{s}</i>" if style.get("italic") else s
        if x.get("type") == "user":
            return f'<span class="mention">@{escape(self.names.get(x.get("user_id"), x.get("user_id")))}</span>'
        if x.get("type") == "link":
            return f'<a href="{_attr(x.get("url", ""))}" target="_blank">{escape(x.get("text") or x.get("url"))}</a>'
        if x.get("type") == "emoji":
            return EMOJI.get(x.get("name"), f":{x.get('name')}:")
        return ""

    def image(self, el: dict) -> str:
        ref = el.get("slack_file") if isinstance(el.get("slack_file"), dict) else None
        file_id = (ref or {}).get("id") or slack_files.file_id_of((ref or {}).get("url", ""))
        if file_id:  # a file uploaded to this sandbox: served by it, so it is shown
            return (f'<img class="slack-file" src="/_sandbox/files/{_attr(file_id)}" '
                    f'alt="{_attr(el.get("alt_text", "image"))}" data-file-id="{_attr(file_id)}">')
        # no external fetches from this page: show the alt text and a link instead of loading the image
        url = el.get("image_url") or ""
        return (f'<a class="image" href="{_attr(url)}" target="_blank" rel="noopener" title="{_attr(url)}">'
                f'🖼 {escape(el.get("alt_text", "image"))}</a>')

    # elements -------------------------------------------------------------------------------------------
    def element(self, el: dict, block_id: str, *, dispatch: bool) -> Markup:
        kind = el.get("type", "")
        common = (f'data-action-id="{_attr(el.get("action_id", ""))}" data-block-id="{_attr(block_id)}" '
                  f'data-kind="{escape(kind)}"' + (' data-dispatch="1"' if dispatch else ""))
        if kind == "button":
            style = f" btn-{escape(el['style'])}" if el.get("style") in ("primary", "danger") else ""
            extra = f' data-value="{_attr(el["value"])}"' if "value" in el else ""
            extra += f' data-url="{_attr(el["url"])}"' if el.get("url") else ""
            if el.get("confirm"):
                extra += f' data-confirm="{_attr(self._confirm(el["confirm"]))}"'
            return Markup(f'<button type="button" class="btn{style}" {common}{extra}>'
                          f'{self.text(el.get("text"))}</button>')
        if kind == "image":
            return Markup(self.image(el))
        if kind in ("static_select", "multi_static_select", "overflow", "users_select", "multi_users_select",
                    "conversations_select", "channels_select", "multi_conversations_select",
                    "multi_channels_select"):
            return self._select(el, common, kind)
        if kind in ("external_select", "multi_external_select"):
            ph = _attr((el.get("placeholder") or {}).get("text", "Type to search…"))
            initial = el.get("initial_option")
            opt = (f'<option value="{_attr(initial["value"])}" data-option="{_attr(initial)}" selected>'
                   f'{self.text(initial.get("text"))}</option>') if initial else ""
            return Markup(f'<span class="external"><input type="text" class="ext-query" placeholder="{ph}" '
                          f'data-ext-for="{_attr(el.get("action_id", ""))}" data-block-id="{_attr(block_id)}">'
                          f'<select class="ext-options" {common}><option value="">—</option>{opt}</select></span>')
        if kind in ("checkboxes", "radio_buttons"):
            input_type = "checkbox" if kind == "checkboxes" else "radio"
            initial = el.get("initial_options") or ([el["initial_option"]] if el.get("initial_option") else [])
            chosen = {o.get("value") for o in initial}
            name = f"{block_id}/{el.get('action_id', '')}"
            items = "".join(
                f'<label class="choice"><input type="{input_type}" name="{_attr(name)}" '
                f'value="{_attr(o.get("value", ""))}"{" checked" if o.get("value") in chosen else ""}> '
                f'{self.text(o.get("text"))}</label>' for o in el.get("options", []))
            return Markup(f'<fieldset class="choices" {common}>{items}</fieldset>')
        if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
            ph = _attr((el.get("placeholder") or {}).get("text", ""))
            value = el.get("initial_value", "")
            if el.get("multiline"):
                return Markup(f'<textarea {common} placeholder="{ph}" rows="3">{escape(value)}</textarea>')
            input_type = {"number_input": "number", "email_text_input": "email", "url_text_input": "url"}.get(
                kind, "text")
            limit = f' maxlength="{int(el["max_length"])}"' if el.get("max_length") else ""
            return Markup(f'<input type="{input_type}" {common} placeholder="{ph}" value="{_attr(value)}"{limit}>')
        if kind in ("datepicker", "timepicker"):
            value = el.get("initial_date") or el.get("initial_time") or ""
            input_type = "date" if kind == "datepicker" else "time"
            return Markup(f'<input type="{input_type}" {common} value="{_attr(value)}">')
        return Markup(f'<span class="unsupported" {common}>[{escape(kind)}]</span>')

    def _confirm(self, c: dict) -> dict:
        return {"title": (c.get("title") or {}).get("text", "Are you sure?"),
                "text": (c.get("text") or {}).get("text", ""),
                "confirm": (c.get("confirm") or {}).get("text", "Yes"),
                "deny": (c.get("deny") or {}).get("text", "Cancel"), "style": c.get("style", "")}

    def _select(self, el: dict, common: str, kind: str) -> Markup:
        multiple = " multiple" if kind.startswith("multi_") else ""
        if kind == "overflow":
            options = [(o.get("value", ""), self.text(o.get("text"))) for o in el.get("options", [])]
            head = '<option value="">⋯</option>'
        elif kind.endswith("users_select"):
            options = [(u["id"], escape(u["real_name"])) for u in self.users if not u.get("is_bot")]
            head = '<option value="">Select a person</option>'
        elif kind.endswith(("conversations_select", "channels_select")):
            options = [(c["id"], escape("#" + c["name"])) for c in self.channels]
            head = '<option value="">Select a channel</option>'
        else:
            flat = list(el.get("options") or [])
            for group in el.get("option_groups") or []:
                flat += group.get("options") or []
            options = [(o.get("value", ""), self.text(o.get("text"))) for o in flat]
            ph = (el.get("placeholder") or {}).get("text", "Select an item")
            head = f'<option value="">{escape(ph)}</option>'
        initial = set(filter(None, [(el.get("initial_option") or {}).get("value"), el.get("initial_user"),
                                    el.get("initial_conversation"), el.get("initial_channel")]))
        initial |= {o.get("value") for o in el.get("initial_options") or []}
        body = "".join(f'<option value="{_attr(v)}"{" selected" if v in initial else ""}>{label}</option>'
                       for v, label in options)
        return Markup(f'<select {common}{multiple}>{"" if multiple else head}{body}</select>')

    # messages -------------------------------------------------------------------------------------------
    def message(self, msg: dict) -> Markup:
        meta = msg.get("_sandbox", {})
        ephemeral = bool(meta.get("ephemeral_to"))
        author_id = msg.get("user", "")
        author = "Slackbot" if author_id == "USLACKBOT" else self.names.get(author_id, author_id)
        badge = ' <span class="badge">APP</span>' if msg.get("bot_id") else ""
        clock = format_date(float(msg["ts"]), "{time}", self.zone)
        notes = ' <span class="edited">(edited)</span>' if msg.get("edited") or meta.get("revisions") else ""
        if ephemeral:
            notes += ' <span class="only-you">Only visible to you</span>'
        body = (self.blocks(msg["blocks"]) if msg.get("blocks")
                else Markup(f'<div class="msg-text">{self.mrkdwn(msg.get("text", ""))}</div>'))
        for att in msg.get("attachments") or []:
            color = _attr(att.get("color", "#ddd"))
            inner = self.blocks(att["blocks"]) if att.get("blocks") else self.mrkdwn(att.get("text", "") or att.get(
                "fallback", ""))
            body += Markup(f'<div class="attachment" style="border-left-color:{color}">{inner}</div>')
        for f in msg.get("files") or []:
            picture = ""
            if str(f.get("mimetype", "")).startswith("image/"):  # Slack shows an uploaded image inline
                picture = (f'<img class="file-image" src="/_sandbox/files/{_attr(f["id"])}" '
                           f'alt="{_attr(f.get("alt_txt") or f.get("title") or f.get("name"))}"><br>')
            body += Markup(f'<div class="file" data-file-id="{_attr(f["id"])}">{picture}📎 <a href="/_sandbox/files/'
                           f'{_attr(f["id"])}" target="_blank">{escape(f.get("title") or f.get("name"))}</a> '
                           f'<span class="size">{int(f.get("size", 0))} bytes</span></div>')
        if msg.get("reply_count"):
            body += Markup(f'<div class="replies">{int(msg["reply_count"])} replies</div>')
        css = "msg ephemeral" if ephemeral else "msg"
        return Markup(f'<div class="{css}" id="msg-{_attr(msg["ts"])}" data-ts="{_attr(msg["ts"])}" '
                      f'data-channel="{_attr(meta.get("channel", ""))}" data-ephemeral="{int(ephemeral)}">'
                      f'<div class="msg-head"><span class="author">{escape(author)}</span>{badge} '
                      f'<span class="time">{clock}</span>{notes}</div>{body}</div>')

