"""The permission matrix: one row per action of the seed's table (plus Ledgerlink's own), each checked
against every level with and without the approver grant. The table is written out here by hand."""

import pytest

from core.domain.errors import PermissionDenied
from core.domain.permissions import Actor, Level, Perm, allowed, check, perm_for
from core.domain.states import Action, ItemType

N, R, S, AD = Level.NONE, Level.READ_ONLY, Level.STANDARD, Level.ADMIN
APPROVER = "approver"

# action (seed wording) → (lowest level, needs approver grant)
MATRIX = [
    ("Accept or Reject Cost Codes for Export to ERP", S, APPROVER),
    ("Accept or Reject Owner Invoices for Export to ERP", S, APPROVER),
    ("Accept or Reject Subcontractor Invoices for Export to ERP", S, APPROVER),
    ("Accept or Reject a Budget for Export to ERP", S, APPROVER),
    ("Accept or Reject a CCO for Export to ERP", S, APPROVER),
    ("Accept or Reject a Commitment for Export to ERP", S, APPROVER),
    ("Accept or Reject a Company for Export to ERP", S, APPROVER),
    ("Accept or Reject a PCCO for Export to ERP", S, APPROVER),
    ("Accept or Reject a Project for Export to ERP", S, APPROVER),
    ("Accept or Reject a Sub Job for Export to ERP", S, APPROVER),
    ("Add a Procore Project to your ERP System", S, None),
    ("Add an ERP Company to the Procore Company Directory", S, None),
    ("Add an ERP Job to Procore", AD, None),
    ("Archive an ERP Company in Procore", AD, None),
    ("Assign Default Cost Types To ERP Standard Cost Codes", AD, None),
    ("Configure Advanced Settings: ERP Integrations", AD, None),
    ("Configure the Sync Schedule for your ERP Integration", AD, None),
    ("Enable or Disable ERP Direct Exports", AD, None),
    ("Import a Budget from ERP", S, None),
    ("Import a Prime Contract from an Integrated ERP System into Procore", S, None),
    ("Import an ERP Sub Job to a Procore Project", AD, None),
    ("Link ERP Companies to Procore Companies", S, None),
    ("Refresh the Companies List for ERP", S, None),
    ("Refresh the Cost Codes on an ERP Integrated Project", S, None),
    ("Send, Retrieve, or Resend Items to ERP Integrations for Accounting Acceptance", S, None),
    ("Sync Job Cost Transactions from an Integrated ERP into Procore", AD, None),
    ("Sync Paid Invoice Notifications from ERP into Procore", AD, None),
    ("Unlink CCOs Synced with ERP", AD, None),
    ("Unlink Commitments Synced with ERP", AD, None),
    ("Unlink Owner Invoices Synced with ERP", AD, None),
    ("Unlink PCCOs Synced with ERP", AD, None),
    ("Unlink Subcontractor Invoices Synced with ERP", AD, None),
    ("Unlink a Company Synced with ERP", AD, None),
    ("View a List of Synced Sub Jobs", R, None),
    ("View an Accountant Report for ERP", R, None),
    ("View an ERP Job Costs Report", R, None),
    ("View an ERP Unsyncable Direct Costs Report", N, None),
    ("View the Archived Companies List for ERP", R, None),
    ("View items and their states", R, None),
    ("Export an item directly (when direct exports are enabled)", S, None),
    ("Retry a failed export", S, APPROVER),
    ("Grant Accounting Approver privileges and permission levels", AD, None),
]


def test_matrix_covers_every_permission():
    assert {row[0] for row in MATRIX} == {p.value for p in Perm}


@pytest.mark.parametrize(("action", "lowest", "grant"), MATRIX, ids=[row[0][:60] for row in MATRIX])
@pytest.mark.parametrize("level", list(Level), ids=[lvl.name for lvl in Level])
@pytest.mark.parametrize("approver", [False, True], ids=["no-grant", "grant"])
def test_permission_row(action, lowest, grant, level, approver):
    actor = Actor(user_id=1, name="@x", level=level, can_push_to_accounting=approver)
    expected = level >= lowest and (grant is None or approver)
    assert allowed(actor, Perm(action)) is expected
    if not expected:
        with pytest.raises(PermissionDenied) as err:
            check(actor, Perm(action))
        assert "ERP Integrations" in err.value.sentence or "approver" in err.value.sentence


def test_denial_sentence_says_what_to_ask_for():
    with pytest.raises(PermissionDenied, match=r"grant @you standard"):
        check(Actor(user_id=1, name="@r", level=Level.READ_ONLY), Perm.SEND_RETRIEVE_RESEND)
    with pytest.raises(PermissionDenied, match=r"Can push to accounting"):
        check(Actor(user_id=1, name="@s", level=Level.ADMIN), Perm.ACCEPT_REJECT_SUB_INVOICES)


@pytest.mark.parametrize("item_type", list(ItemType))
def test_every_item_type_has_an_accept_reject_row(item_type):
    perm = perm_for(Action.ACCEPT, item_type)
    assert perm is not None and perm.value.startswith("Accept or Reject")
    assert perm_for(Action.REJECT, item_type) == perm


def test_system_only_actions_have_no_row():
    for action in (Action.MARK_SYNCED, Action.MARK_FAILED, Action.MARK_PAID, Action.REVERSE_PAYMENT):
        assert perm_for(action, ItemType.SUB_INVOICE) is None


def test_level_parse():
    assert Level.parse("read-only") is Level.READ_ONLY
    assert Level.parse("Admin") is Level.ADMIN
