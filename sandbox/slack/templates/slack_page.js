(function () {
  "use strict";
  const body = document.body;
  const viewer = body.dataset.viewer;
  const conversation = body.dataset.conversation;
  const tab = body.dataset.tab;
  let version = body.dataset.version;
  let modalKey = body.dataset.modalKey;
  const modal = document.getElementById("modal");

  async function post(url, data) {
    const resp = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                   body: JSON.stringify(Object.assign({as: viewer}, data))});
    try { return await resp.json(); } catch (e) { return {ok: false, error: "HTTP " + resp.status}; }
  }

  function toast(text, isError) {
    const el = document.createElement("div");
    el.className = "toast" + (isError ? " error" : "");
    el.dataset.testid = isError ? "toast-error" : "toast";
    el.textContent = text;
    document.getElementById("toasts").appendChild(el);
    setTimeout(() => el.remove(), 6000);
  }

  function report(outcome) {
    if (!outcome.ok) {
      const why = outcome.error === "operation_timeout" ? "the app did not respond within 3 seconds"
        : outcome.error === "dispatch_failed" ? "the app could not be reached"
        : outcome.error === "invalid_command" ? (outcome.shown || "not a valid command")
        : (outcome.error || "failed") + (outcome.status ? " (HTTP " + outcome.status + ")" : "");
      toast(why, true);
    } else if (outcome.ack_error) {
      toast("The app answered with an invalid view: " + outcome.ack_error, true);
    }
    refresh(true);
  }

  // values of the stateful elements in a message, Home tab or modal: {block_id: {action_id: raw}}
  function rawOf(el) {
    const kind = el.dataset.kind;
    if (kind === "checkboxes") {
      return Array.from(el.querySelectorAll("input:checked")).map((i) => i.value);
    }
    if (kind === "radio_buttons") {
      const c = el.querySelector("input:checked");
      return c ? c.value : null;
    }
    if (kind === "external_select" || kind === "multi_external_select") {
      const o = el.selectedOptions && el.selectedOptions[0];
      return o && o.dataset.option ? JSON.parse(o.dataset.option) : null;
    }
    if (el.multiple) { return Array.from(el.selectedOptions).map((o) => o.value); }
    return el.value === "" ? null : el.value;
  }

  function valuesIn(container) {
    const values = {};
    if (!container) { return values; }
    container.querySelectorAll("[data-kind]").forEach((el) => {
      const kind = el.dataset.kind;
      if (kind === "button" || kind === "overflow" || el.tagName === "SPAN") { return; }
      const b = el.dataset.blockId;
      values[b] = values[b] || {};
      values[b][el.dataset.actionId] = rawOf(el);
    });
    return values;
  }

  function containerOf(el) {
    const msg = el.closest("[data-ts]");
    if (msg) { return {node: msg, ids: {channel: msg.dataset.channel, ts: msg.dataset.ts}}; }
    const view = el.closest("[data-view-id]");
    return {node: view, ids: {view_id: view ? view.dataset.viewId : null}};
  }

  async function act(el, value) {
    const c = containerOf(el);
    const data = Object.assign({action_id: el.dataset.actionId, block_id: el.dataset.blockId, value: value,
                                values: valuesIn(c.node)}, c.ids);
    if (el.tagName === "BUTTON") { el.disabled = true; }
    try { report(await post("/_sandbox/ui/click", data)); } finally { el.disabled = false; }
  }

  function confirmDialog(c) {
    const dlg = document.getElementById("confirm-dialog");
    document.getElementById("confirm-title").textContent = c.title;
    document.getElementById("confirm-text").textContent = c.text;
    document.getElementById("confirm-deny").textContent = c.deny;
    const accept = document.getElementById("confirm-accept");
    accept.textContent = c.confirm;
    accept.className = "btn " + (c.style === "danger" ? "btn-danger" : "btn-primary");
    return new Promise((resolve) => {
      dlg.addEventListener("close", () => resolve(dlg.returnValue === "confirm"), {once: true});
      dlg.showModal();
    });
  }

  document.addEventListener("click", async (e) => {
    const btn = e.target.closest("button[data-action-id]");
    if (btn) {
      e.preventDefault();
      if (btn.dataset.confirm && !(await confirmDialog(JSON.parse(btn.dataset.confirm)))) { return; }
      if (btn.dataset.url) { window.open(btn.dataset.url, "_blank", "noopener"); }
      await act(btn, null);
      return;
    }
    const closer = e.target.closest("[data-modal-close]");
    if (closer) {
      const form = closer.closest("[data-view-id]");
      report(await post("/_sandbox/ui/close", {view_id: form.dataset.viewId}));
    }
  });

  document.addEventListener("change", (e) => {
    if (e.target.classList.contains("ext-query")) { return; }
    const el = e.target.closest("[data-dispatch][data-kind]");
    if (el && el.dataset.kind !== "button") { act(el, rawOf(el)); }
  });

  document.addEventListener("submit", async (e) => {
    const form = e.target;
    if (form.id === "composer") {
      e.preventDefault();
      const input = document.getElementById("composer-input");
      const text = input.value.trim();
      if (!text) { return; }
      input.value = "";
      const where = conversation === "app" ? null : conversation;
      if (text.startsWith("/")) {
        report(await post("/_sandbox/ui/command", {text: text, conversation: where}));
      } else if (where) {
        report(await post("/_sandbox/ui/say", {text: text, conversation: where}));
      }
    } else if (form.classList.contains("modal-view")) {
      e.preventDefault();
      const submitBtn = form.querySelector("[data-modal-submit]");
      if (submitBtn) { submitBtn.disabled = true; }
      report(await post("/_sandbox/ui/submit", {view_id: form.dataset.viewId, values: valuesIn(form)}));
      if (submitBtn) { submitBtn.disabled = false; }
    }
  });

  let suggestTimer = null;
  document.addEventListener("input", (e) => {
    const q = e.target;
    if (!q.classList.contains("ext-query")) { return; }
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(async () => {
      const select = q.parentElement.querySelector("select");
      const c = containerOf(q);
      const out = await post("/_sandbox/ui/suggest", Object.assign(
        {action_id: select.dataset.actionId, block_id: select.dataset.blockId, value: q.value}, c.ids));
      if (!out.ok) { toast("options: " + (out.error || "failed"), true); return; }
      select.innerHTML = '<option value="">—</option>';
      (out.options || []).forEach((o) => {
        const opt = document.createElement("option");
        opt.value = o.value;
        opt.textContent = o.text && o.text.text;
        opt.dataset.option = JSON.stringify(o);
        select.appendChild(opt);
      });
    }, 250);
  });

  document.getElementById("as-picker").addEventListener("change", (e) => {
    const params = new URLSearchParams(window.location.search);
    params.set("as", e.target.value);
    window.location.search = params.toString();
  });

  function setRaw(el, v) {
    if (el.dataset.kind === "checkboxes" || el.dataset.kind === "radio_buttons") {
      const chosen = [].concat(v);
      el.querySelectorAll("input").forEach((i) => { i.checked = chosen.includes(i.value); });
    } else if (el.multiple) {
      Array.from(el.options).forEach((o) => { o.selected = v.includes(o.value); });
    } else if (typeof v === "object") {  // an external_select option
      const opt = document.createElement("option");
      opt.value = v.value; opt.textContent = v.text && v.text.text; opt.dataset.option = JSON.stringify(v);
      el.appendChild(opt); el.value = v.value;
    } else { el.value = v; }
  }

  function showModal(html, key) {
    // like Slack, what the user typed survives an update of the same view (e.g. after response_action=errors)
    const old = modal.querySelector("[data-view-id]");
    const kept = old ? {id: old.dataset.viewId, values: valuesIn(old)} : null;
    modalKey = key;
    modal.innerHTML = html;
    const fresh = modal.querySelector("[data-view-id]");
    if (kept && fresh && fresh.dataset.viewId === kept.id) {
      fresh.querySelectorAll("[data-kind]").forEach((el) => {
        const v = (kept.values[el.dataset.blockId] || {})[el.dataset.actionId];
        if (v !== undefined && v !== null && el.dataset.kind !== "button") { setRaw(el, v); }
      });
    }
    if (html && !modal.open) { modal.showModal(); }
    if (!html && modal.open) { modal.close(); }
  }
  modal.addEventListener("cancel", (e) => {  // Escape closes like the × button
    e.preventDefault();
    const form = modal.querySelector("[data-view-id]");
    if (form) { post("/_sandbox/ui/close", {view_id: form.dataset.viewId}).then(report); }
  });

  async function refresh(force) {
    const params = new URLSearchParams({as: viewer, conversation: conversation, tab: tab});
    let state;
    try { state = await (await fetch("/_sandbox/ui/state?" + params)).json(); } catch (e) { return; }
    if (force || String(state.version) !== String(version)) {
      version = state.version;
      const main = document.getElementById("main");
      // conversations stick to their latest message; App Home keeps its place (it opens at the top)
      const atBottom = !(conversation === "app" && tab === "home")
        && main.scrollTop + main.clientHeight >= main.scrollHeight - 20;
      document.getElementById("sidebar").innerHTML = state.sidebar;
      main.innerHTML = state.main;
      if (atBottom) { main.scrollTop = main.scrollHeight; }
    }
    if (state.modal_key !== modalKey) { showModal(state.modal, state.modal_key); }
  }

  if (modal.innerHTML.trim()) { modal.showModal(); }
  const main = document.getElementById("main");
  // like Slack: a conversation opens at its latest message, or at the one linked (?ts=…, highlighted);
  // App Home opens at its top
  const focus = body.dataset.focus && document.getElementById("msg-" + body.dataset.focus);
  if (focus) {
    focus.classList.add("focused");
    focus.scrollIntoView({block: "center"});
  } else if (conversation === "app" && tab === "home") {
    main.scrollTop = 0;
  } else {
    main.scrollTop = main.scrollHeight;
  }
  if (conversation === "app" && tab) { post("/_sandbox/ui/home", {tab: tab}).then((o) => { if (!o.ok) { report(o); } }); }
  setInterval(() => refresh(false), 1000);
})();
