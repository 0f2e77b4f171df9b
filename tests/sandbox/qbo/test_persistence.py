"""`--db PATH`: the sandbox's state survives a restart."""

from __future__ import annotations

import httpx

from sandbox.qbo import create_app
from tests.support.servers import running_wsgi


def test_sqlite_store_survives_restart(tmp_path):
    db = str(tmp_path / "qbo.db")
    with running_wsgi(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        realm = http.post("/_sandbox/realms", json={}).json()["realm_id"]
        token = http.post("/_sandbox/tokens", json={"realm_id": realm}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        vendor = http.post(f"/v3/company/{realm}/vendor", json={"DisplayName": "Kept"}, headers=headers,
                           params={"requestid": "keep-1"}).json()["Vendor"]
        http.post(f"/v3/company/{realm}/bill", json={"Id": "102", "SyncToken": "0"}, headers=headers,
                  params={"operation": "delete"})
    with running_wsgi(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        read = http.get(f"/v3/company/{realm}/vendor/{vendor['Id']}", headers=headers)
        assert read.status_code == 200 and read.json()["Vendor"]["DisplayName"] == "Kept"
        replay = http.post(f"/v3/company/{realm}/vendor", json={"DisplayName": "Kept"}, headers=headers,
                           params={"requestid": "keep-1"})
        assert replay.json()["Vendor"]["Id"] == vendor["Id"]
        fresh = http.post(f"/v3/company/{realm}/vendor", json={"DisplayName": "Next"}, headers=headers).json()
        assert int(fresh["Vendor"]["Id"]) > int(vendor["Id"])
        assert http.get(f"/v3/company/{realm}/bill/102", headers=headers).json()["Fault"]["Error"][0]["code"] == "610"
