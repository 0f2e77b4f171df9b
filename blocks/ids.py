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

# --- App Home ------------------------------------------------------------------------------------------
HOME_SETTINGS = "home_settings"
HOME_DIGEST = "home_toggle_digest"
HOME_REFRESH = "home_refresh"

# --- a switch to another QuickBooks / Procore company, held until an admin confirms (value: connect link id) ----
CONNECTION_CONFIRM = "connection_confirm"
CONNECTION_CANCEL = "connection_cancel"

ACTIONS = (ACCEPT, REJECT, RETRY, DETAILS, RETRIEVE, RESEND, VIEW_PROCORE, VIEW_QBO, OPEN_LINK,
           HOME_SETTINGS, HOME_DIGEST, HOME_REFRESH, CONNECTION_CONFIRM, CONNECTION_CANCEL)

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
S_REMIND, S_ESCALATE = "reminder_after_hours", "escalate_after_hours"
S_JOB_COSTS = "job_cost_projects"  # the linked Procore projects whose job costs sync
S_EVERY = "every:"  # + a sync job's name: its interval in minutes (the changes carry them as S_INTERVALS)
S_INTERVALS = "sync_intervals"
S_INPUT = "value"  # the action_id of every settings input (the block id names the setting)

# --- events ---------------------------------------------------------------------------------------------
EVENTS = ("app_home_opened",)

# --- record pickers (external_select menus answered from the local database; handlers/pickers.py) -------------
PICK_PROCORE_COMPANY = "pick_procore_company"
PICK_QBO_VENDOR = "pick_qbo_vendor"
PICK_PROCORE_PROJECT = "pick_procore_project"
PICK_QBO_PROJECT = "pick_qbo_project"
PICK_ITEM = "pick_item"
PICK_LINKED_ITEM = "pick_linked_item"  # items with a QuickBooks twin (`/ledgerlink unlink <type>`)
PICK_QBO_SUB_JOB = "pick_qbo_sub_job"  # `/ledgerlink import sub-job`
OPTIONS = (PICK_PROCORE_COMPANY, PICK_QBO_VENDOR, PICK_PROCORE_PROJECT, PICK_QBO_PROJECT, PICK_ITEM, PICK_LINKED_ITEM,
           PICK_QBO_SUB_JOB)
# picking in the link modal updates it (dispatch_action); the send modal's item picker only submits
ACTIONS = ACTIONS + (PICK_PROCORE_COMPANY, PICK_QBO_VENDOR, PICK_PROCORE_PROJECT, PICK_QBO_PROJECT)

LINK_VIEW = "link_records"
SEND_VIEW = "send_item"
VIEWS = VIEWS + (LINK_VIEW, SEND_VIEW)
LINK_PROCORE_BLOCK, LINK_QBO_BLOCK, SEND_ITEM_BLOCK = "link_procore", "link_qbo", "send_item_pick"

# --- the senders' side: App Home's "Ready to export" / "Rejected" rows and grouped approval cards ----------
SEND_ITEM = "item_send"  # "Send to accounting" on one ready item (value: the item id)
EXPORT_ITEM = "item_export"  # "Export now", when direct exports allow it (value: the item id)
READY_PICK = "ready_pick"  # the checkboxes of one project's ready items (values: item ids)
READY_PICK_BLOCK = "ready_pick_"  # + project key: the block of those checkboxes
READY_SEND_SELECTED = "ready_send_selected"  # "Send selected to accounting": the ticked items as one card
GROUP_ACCEPT_ALL = "group_accept_all"  # "Accept all" on a grouped card (value: the group id)

ACTIONS += (SEND_ITEM, EXPORT_ITEM, READY_PICK, READY_SEND_SELECTED, GROUP_ACCEPT_ALL)

# --- the seed's actions as subcommands (issue 16, part 2) -------------------------------------------------
CONFIRM_COMMAND = "command_confirm"  # "Yes, unlink/archive/delete" under a destructive command (value: its text)
CANCEL_COMMAND = "command_cancel"  # "Cancel" beside it
# the duplicates review's buttons, one action id per kind (unique within a block; value: JSON of what to do)
DUPLICATE_DO = {kind: f"duplicate_{kind}" for kind in ("link", "consolidate", "remove", "not_a_duplicate")}
PROJECT_IMPORT = "project_import"  # "Import" / "Update" beside a QuickBooks project (value: its QuickBooks id)
ACTIONS += (CONFIRM_COMMAND, CANCEL_COMMAND, *DUPLICATE_DO.values(), PROJECT_IMPORT)
COST_CODES_VIEW = "cost_code_preferences"
VIEWS = VIEWS + (COST_CODES_VIEW,)
CC_CODE_BLOCK, CC_TYPES_BLOCK, CC_SYNCED_BLOCK = "cc_code", "cc_types", "cc_synced"
SEED_PICK_VIEW = "seed_pick_record"  # the record picker of a seed subcommand typed without its record
SEED_PICK_BLOCK = "seed_pick"
SEED_PICK_EXTRA = "seed_pick_extra:"  # + a name: a typed argument after the picked record (block and action id)
VIEWS = VIEWS + (SEED_PICK_VIEW,)

# --- out of office from App Home (issue 20): "Set out of office" opens a modal, "I'm back" ends it -------------
HOME_AWAY = "home_away"
HOME_BACK = "home_back"
AWAY_VIEW = "away_view"
AWAY_DELEGATE_BLOCK, AWAY_DELEGATE_INPUT = "away_delegate", "away_delegate_user"
AWAY_UNTIL_BLOCK, AWAY_UNTIL_INPUT = "away_until", "away_until_date"
ACTIONS += (HOME_AWAY, HOME_BACK)
VIEWS = VIEWS + (AWAY_VIEW,)
