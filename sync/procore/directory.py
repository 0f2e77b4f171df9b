"""Companies, projects, company directory (vendors) and company users.

Docs: https://developers.procore.com/reference/rest/projects, …/company-vendors, …/company-users
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sync.procore._core import V1, ProcoreCore, attributes, filter_params
from sync.procore.pagination import Listing
from sync.procore.records import Company, CompanyUser, Project, SyncResult, Vendor


class DirectoryCalls(ProcoreCore):
    # -- companies ---------------------------------------------------------------------------------------
    def list_companies(self, *, per_page: int | None = None) -> Listing[Company]:
        """The companies this token can see (not company-scoped)."""
        return self._list(f"{V1}/companies", Company.from_api, per_page=per_page)

    def list_company_users(self, *, filters: Mapping[str, Any] | None = None,
                           per_page: int | None = None) -> Listing[CompanyUser]:
        return self._list(f"{V1}/companies/{self._require_company()}/users", CompanyUser.from_api,
                          params=filter_params(filters), per_page=per_page)

    def get_company_user(self, *, user_id: int) -> CompanyUser:
        """One person of the company directory (name, e-mail): who a webhook's `user_id` is."""
        body = self._call("GET", f"{V1}/companies/{self._require_company()}/users/{user_id}")
        return self._one(CompanyUser.from_api, body, f"company user {user_id}")

    # -- projects ----------------------------------------------------------------------------------------
    def list_projects(self, *, filters: Mapping[str, Any] | None = None,
                      per_page: int | None = None) -> Listing[Project]:
        return self._list(f"{V1}/projects", Project.from_api,
                          params={"company_id": self.company_id, **filter_params(filters)}, per_page=per_page)

    def get_project(self, *, project_id: int) -> Project:
        body = self._call("GET", f"{V1}/projects/{project_id}", params={"company_id": self.company_id})
        return self._one(Project.from_api, body, f"project {project_id}")

    def create_project(self, *, name: str, project_number: str | None = None, origin_id: str | None = None,
                       origin_code: str | None = None, origin_data: str | None = None,
                       **fields: Any) -> Project:
        project = attributes(name=name, project_number=project_number, origin_id=origin_id,
                             origin_code=origin_code, origin_data=origin_data, **fields)
        body = self._call("POST", f"{V1}/projects", params={"company_id": self.company_id},
                          json={"company_id": self.company_id, "project": project})
        return self._one(Project.from_api, body, "created project")

    def update_project(self, *, project_id: int, **fields: Any) -> Project:
        body = self._call("PATCH", f"{V1}/projects/{project_id}", params={"company_id": self.company_id},
                          json={"company_id": self.company_id, "project": fields})
        return self._one(Project.from_api, body, f"project {project_id}")

    def sync_projects(self, updates: Sequence[Mapping[str, Any]], *,
                      batch_size: int = 1000) -> SyncResult[Project]:
        """Create/update many projects (matched by `id` or `origin_id`); per-record failures in the result."""
        return self._bulk_sync(f"{V1}/projects/sync", updates, Project.from_api,
                               extra={"company_id": self.company_id}, batch_size=batch_size)

    # -- company directory (vendors) ---------------------------------------------------------------------
    def list_vendors(self, *, filters: Mapping[str, Any] | None = None,
                     per_page: int | None = None) -> Listing[Vendor]:
        return self._list(f"{V1}/vendors", Vendor.from_api,
                          params={"company_id": self.company_id, **filter_params(filters)}, per_page=per_page)

    def get_vendor(self, *, vendor_id: int) -> Vendor:
        body = self._call("GET", f"{V1}/vendors/{vendor_id}", params={"company_id": self.company_id})
        return self._one(Vendor.from_api, body, f"vendor {vendor_id}")

    def create_vendor(self, *, name: str, origin_id: str | None = None, origin_code: str | None = None,
                      origin_data: str | None = None, abbreviated_name: str | None = None,
                      is_active: bool | None = None, **fields: Any) -> Vendor:
        vendor = attributes(name=name, origin_id=origin_id, origin_code=origin_code, origin_data=origin_data,
                            abbreviated_name=abbreviated_name, is_active=is_active, **fields)
        body = self._call("POST", f"{V1}/vendors", params={"company_id": self.company_id},
                          json={"company_id": self.company_id, "vendor": vendor})
        return self._one(Vendor.from_api, body, "created vendor")

    def update_vendor(self, *, vendor_id: int, **fields: Any) -> Vendor:
        body = self._call("PATCH", f"{V1}/vendors/{vendor_id}", params={"company_id": self.company_id},
                          json={"company_id": self.company_id, "vendor": fields})
        return self._one(Vendor.from_api, body, f"vendor {vendor_id}")

    def sync_vendors(self, updates: Sequence[Mapping[str, Any]], *, batch_size: int = 1000) -> SyncResult[Vendor]:
        """Bulk create/update (PATCH /vendors/sync, ≤ 1000 a call); refused records come back as failures."""
        return self._bulk_sync(f"{V1}/vendors/sync", updates, Vendor.from_api,
                               extra={"company_id": self.company_id}, batch_size=batch_size)
