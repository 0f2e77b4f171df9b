"""Command-line options, SQLite persistence, the clock and the admin record endpoints."""

from __future__ import annotations

from sandbox.procore import create_app
from sandbox.procore.cli import parse_args
from tests.sandbox.procore.conftest import COMPANY


def test_cli_defaults_and_options():
    args = parse_args([])
    assert (args.host, args.port, args.rate_limit, args.fault_rate, args.db, args.seed) == \
        ("127.0.0.1", 8082, None, 0.0, None, "demo")
    args = parse_args(["--port", "9000", "--rate-limit", "100", "--fault-rate", "0.1", "--db", "x.db", "--seed",
                       "none"])
    assert (args.port, args.rate_limit, args.fault_rate, args.db, args.seed) == (9000, 100, 0.1, "x.db", "none")


def test_state_survives_a_restart_with_a_db_file(tmp_path):
    path = str(tmp_path / "procore.db")
    first = create_app(db=path)
    client = first.test_client()
    token = client.post("/_sandbox/tokens", json={"company_ids": [COMPANY]}).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Procore-Company-Id": str(COMPANY)}
    created = client.post("/rest/v1.0/vendors", json={"company_id": COMPANY, "vendor": {"name": "Persistent Co"}},
                          headers=headers)
    assert created.status_code == 201
    second = create_app(db=path)  # an existing store is not seeded again
    client = second.test_client()
    vendors = client.get("/rest/v1.0/vendors", query_string={"company_id": COMPANY, "per_page": 100},
                         headers=headers).get_json()
    assert "Persistent Co" in [v["name"] for v in vendors]
    assert len([c for c in client.get("/_sandbox/companies").get_json()]) == 2
    fresh = client.post("/_sandbox/tokens", json={}).get_json()
    assert fresh["access_token"] != token  # ids and tokens keep moving forward after a restart
    for app in (first, second):
        app.extensions["procore_sandbox"].close()


def test_admin_companies_records_clock_and_reset(sandbox):
    created = sandbox.admin.post("/companies", json={"name": "Blank Slate Builders", "id": 9100, "seed": "basic"})
    assert created.status_code == 201
    api = sandbox.api(company=9100)
    assert len(api.get("/projects", params={"company_id": 9100}).json()) == 1
    assert len(api.get("/line_item_types", params={"company_id": 9100}).json()) == 5
    assert sandbox.admin.post("/companies", json={"name": "Again", "id": 9100}).status_code == 409

    contract = next(c for c in sandbox.records("work_order_contracts") if c["title"] == "Plumbing")
    req = sandbox.admin.post("/records/requisitions", json={"commitment_id": contract["id"], "status": "approved"})
    assert req.status_code == 201 and req.json()["number"] == 2 and len(req.json()["items"]) == 1
    assert sandbox.admin.post("/records/nonsense", json={}).status_code == 404
    assert sandbox.admin.post("/records/vendors", json={"name": "Nowhere"}).status_code == 400

    before = sandbox.admin.get("/clock").json()["now"]
    moved = sandbox.admin.post("/clock", json={"advance": 86400}).json()
    assert moved["now"] - before >= 86400 and moved["offset"] == 86400
    reset = sandbox.admin.post("/reset", json={})
    assert [c["id"] for c in reset.json()["companies"]] == [COMPANY, 5012]
    assert sandbox.admin.get("/clock").json()["offset"] == 0
