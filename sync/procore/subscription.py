"""Ledgerlink's own Procore webhook: one company hook pointing at `POST /webhooks/procore`, with a trigger for
every create/update/delete of each resource Ledgerlink follows.

`ensure` is idempotent (registers on connect, repairs on schedule: a hook deleted in Procore or a trigger missing
is put back; a hook whose secret changed is replaced); `remove` deletes it on disconnect. Our hook is the one
in our namespace with our destination URL — other integrations' hooks on the company are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.procore.hooks import HookCalls

NAMESPACE = "ledgerlink"
#: Procore's webhook resource names (GET /rest/v1.0/webhooks/resources) for what the sync jobs read
RESOURCES = ("Requisitions", "Payment Applications", "Work Order Contracts", "Purchase Order Contracts",
             "Commitment Change Orders", "Prime Change Orders", "Prime Contracts", "Budget Line Items",
             "Cost Codes", "Company Vendors", "Projects", "Standard Cost Codes", "Line Item Types")
EVENTS = ("create", "update", "delete")
WEBHOOK_PATH = "/webhooks/procore"


def destination(public_url: str) -> str:
    return public_url.rstrip("/") + WEBHOOK_PATH


@dataclass
class HookState:
    """What `ensure` found and did (App Home and the log say it in a sentence)."""

    hook_id: int | None = None
    created_hook: bool = False
    added: list[str] = field(default_factory=list)  # "Requisitions update", …
    removed_hooks: int = 0

    def sentence(self) -> str:
        if self.created_hook:
            return f"registered webhook {self.hook_id} with {len(self.added)} triggers"
        if self.added:
            return f"webhook {self.hook_id}: added {len(self.added)} missing trigger(s)"
        return f"webhook {self.hook_id} complete"


def _ours(client: HookCalls, url: str) -> list:
    return [h for h in client.list_hooks() if h.destination_url == url and h.namespace == NAMESPACE]


def ensure(client: HookCalls, *, public_url: str, secret: str) -> HookState:
    """Make the company's Ledgerlink hook exist with every trigger and the current secret."""
    url, state = destination(public_url), HookState()
    want = f"Bearer {secret}"
    hooks = _ours(client, url)
    keep = next((h for h in hooks if (h.raw.get("destination_headers") or {}).get("Authorization") == want), None)
    for extra in hooks:
        if extra is not keep:  # an old secret, or a duplicate left by a crash between create and store
            client.delete_hook(hook_id=extra.id)
            state.removed_hooks += 1
    if keep is None:
        keep = client.create_hook(destination_url=url, secret=secret, namespace=NAMESPACE)
        state.created_hook = True
    state.hook_id = keep.id
    have = {(t.resource_name, t.event_type) for t in client.list_triggers(hook_id=keep.id)}
    for resource in RESOURCES:
        for event in EVENTS:
            if (resource, event) not in have:
                client.create_trigger(hook_id=keep.id, resource_name=resource, event_type=event)
                state.added.append(f"{resource} {event}")
    return state


def remove(client: HookCalls, *, public_url: str) -> int:
    """Delete Ledgerlink's hooks on the company (its triggers go with it); how many were deleted."""
    hooks = _ours(client, destination(public_url))
    for hook in hooks:
        client.delete_hook(hook_id=hook.id)
    return len(hooks)
