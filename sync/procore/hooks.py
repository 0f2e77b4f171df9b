"""Webhook subscriptions: hooks (where deliveries go, with our shared secret as a header) and their triggers.

Docs: https://developers.procore.com/reference/rest/hooks, …/triggers. Receiving deliveries is
`sync/procore/webhook_receiver.py`.
"""

from __future__ import annotations

from collections.abc import Mapping

from sync.procore._core import V1, ProcoreCore, attributes
from sync.procore.pagination import Listing
from sync.procore.records import Hook, Trigger


class HookCalls(ProcoreCore):
    def _hook_scope(self, project_id: int | None) -> dict[str, int | None]:
        return {"project_id": project_id} if project_id is not None else {"company_id": self.company_id}

    def list_hooks(self, *, project_id: int | None = None, per_page: int | None = None) -> Listing[Hook]:
        """The company's hooks, or a project's when `project_id` is given."""
        return self._list(f"{V1}/webhooks/hooks", Hook.from_api, params=self._hook_scope(project_id),
                          per_page=per_page)

    def create_hook(self, *, destination_url: str, secret: str | None = None, namespace: str | None = None,
                    api_version: str = "v2", project_id: int | None = None,
                    destination_headers: Mapping[str, str] | None = None) -> Hook:
        """Subscribe `destination_url`; `secret` is sent back by Procore as `Authorization: Bearer <secret>`."""
        headers = dict(destination_headers or {})
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        hook = attributes(destination_url=destination_url, namespace=namespace, api_version=api_version,
                          destination_headers=headers or None)
        scope = self._hook_scope(project_id)
        body = self._call("POST", f"{V1}/webhooks/hooks", params=scope, json={**scope, "hook": hook})
        return self._one(Hook.from_api, body, "created webhook hook")

    def delete_hook(self, *, hook_id: int, project_id: int | None = None) -> None:
        self._call("DELETE", f"{V1}/webhooks/hooks/{hook_id}", params=self._hook_scope(project_id))

    def list_triggers(self, *, hook_id: int, project_id: int | None = None,
                      per_page: int | None = None) -> Listing[Trigger]:
        return self._list(f"{V1}/webhooks/hooks/{hook_id}/triggers", Trigger.from_api,
                          params=self._hook_scope(project_id), per_page=per_page)

    def create_trigger(self, *, hook_id: int, resource_name: str, event_type: str,
                       project_id: int | None = None, api_version: str = "v2") -> Trigger:
        """Deliver `event_type` ("create" | "update" | "delete") of `resource_name` (e.g. "Requisitions")."""
        scope = self._hook_scope(project_id)
        body = self._call("POST", f"{V1}/webhooks/hooks/{hook_id}/triggers", params=scope,
                          json={**scope, "api_version": api_version,
                                "trigger": {"resource_name": resource_name, "event_type": event_type}})
        return self._one(Trigger.from_api, body, "created webhook trigger")

    def delete_trigger(self, *, hook_id: int, trigger_id: int, project_id: int | None = None) -> None:
        self._call("DELETE", f"{V1}/webhooks/hooks/{hook_id}/triggers/{trigger_id}",
                   params=self._hook_scope(project_id))
