"""Sub jobs of a project (Procore's Work Breakdown Structure): where an ERP sub job lands in Procore.

Docs: https://developers.procore.com/reference/rest/sub-jobs — `GET|POST /rest/v1.0/sub_jobs` with `project_id`,
`PATCH /rest/v1.0/sub_jobs/{id}`; a sub job is `{id, code, name, origin_id, origin_data, created_at, updated_at}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

from sync.procore._core import V1, ProcoreCore, attributes, filter_params
from sync.procore._parse import Fields
from sync.procore.pagination import Listing


@dataclass(frozen=True, slots=True)
class SubJob:
    id: int
    code: str
    name: str
    project_id: int | None = None
    origin_id: str | None = None
    origin_data: str | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        f = Fields("sub job", data)
        return cls(id=f.req_int("id"), code=str(f.text("code") or ""), name=f.text("name") or "",
                   project_id=f.ref_id("project"), origin_id=f.text("origin_id"),
                   origin_data=f.text("origin_data"), updated_at=f.timestamp("updated_at"), raw=data)


class SubJobCalls(ProcoreCore):
    def list_sub_jobs(self, *, project_id: int, filters: Mapping[str, Any] | None = None,
                      per_page: int | None = None) -> Listing[SubJob]:
        return self._list(f"{V1}/sub_jobs", SubJob.from_api, params={"project_id": project_id,
                                                                      **filter_params(filters)},
                          per_page=per_page, project_id=project_id)

    def create_sub_job(self, *, project_id: int, code: str, name: str, origin_id: str | None = None,
                       origin_data: str | None = None) -> SubJob:
        body = self._call("POST", f"{V1}/sub_jobs", params={"project_id": project_id},
                          json={"project_id": project_id,
                                "sub_job": attributes(code=code, name=name, origin_id=origin_id,
                                                      origin_data=origin_data)})
        return self._one(SubJob.from_api, body, "created sub job", project_id=project_id)

    def update_sub_job(self, *, project_id: int, sub_job_id: int, **fields: Any) -> SubJob:
        body = self._call("PATCH", f"{V1}/sub_jobs/{sub_job_id}", params={"project_id": project_id},
                          json={"project_id": project_id, "sub_job": fields})
        return self._one(SubJob.from_api, body, f"sub job {sub_job_id}", project_id=project_id)
