"""Every action_id, callback_id, block_id and command the app uses, in one place.

`blocks/` puts these ids on buttons and modals; `handlers/` listens for them. The manifest test checks that
what the app registers and what the manifest declares agree (tests/handlers/test_manifest_listeners.py).
"""

from __future__ import annotations

COMMAND = "/ledgerlink"

# --- buttons on approval cards and DMs (their value is only the item id) ---------------------------------
ACCEPT = "item_accept"
REJECT = "item_reject"
RETRY = "item_retry"
DETAILS = "item_details"
RETRIEVE = "item_retrieve"
RESEND = "item_resend"
# link buttons: Slack still sends a block_actions payload for them, which must be acked
VIEW_PROCORE = "item_view_procore"
VIEW_QBO = "item_view_qbo"
OPEN_LINK = "open_link"

# --- the daily "ready to export" post (and App Home's ready rows): value = item id -------------------------
READY_SEND = "ready_send"
READY_EXPORT = "ready_export"

# --- App Home ------------------------------------------------------------------------------------------
HOME_SETTINGS = "home_settings"
HOME_DIGEST = "home_toggle_digest"
HOME_REFRESH = "home_refresh"

ACTIONS = (ACCEPT, REJECT, RETRY, DETAILS, RETRIEVE, RESEND, VIEW_PROCORE, VIEW_QBO, OPEN_LINK,
           HOME_SETTINGS, HOME_DIGEST, HOME_REFRESH, READY_SEND, READY_EXPORT)

# --- modals ---------------------------------------------------------------------------------------------
REJECT_VIEW = "reject_reason"
SETTINGS_VIEW = "tenant_settings"
DETAILS_VIEW = "item_details_view"  # display only: no submit button, no listener

VIEWS = (REJECT_VIEW, SETTINGS_VIEW)

# block ids / action ids of modal inputs
REASON_BLOCK, REASON_INPUT = "reason", "reason_text"
S_DIRECT, S_SCHEDULE, S_APPROVERS, S_NOTIFY = "direct_exports", "paid_sync_schedule", "approvers_channel", \
    "notify_channel"
S_CONFIRM, S_TWO, S_DIGEST = "confirm_above_amount", "two_approver_threshold", "digest"
S_AUTOSEND, S_READY_POST = "autosend", "ready_post_time"
S_INPUT = "value"  # the action_id of every settings input (the block id names the setting)

# --- events ---------------------------------------------------------------------------------------------
EVENTS = ("app_home_opened",)
