"""The scenario harness itself: one tenant, two sandboxes, real clients."""

from sync.jobs.base import JobReport


def test_clients_reach_both_sandboxes(remote_world):
    ctx = remote_world.ctx
    vendors = list(ctx.qbo.query_all(entity="Vendor"))
    assert vendors and all("DisplayName" in v for v in vendors)
    projects = list(ctx.procore.list_projects())
    assert len(projects) == 3
    assert ctx.tenant().qbo_realm_id == remote_world.realm_id


def test_job_report_summary():
    r = JobReport("vendors", dry_run=True)
    r.add("create", "QBO Vendor", "ACME Concrete")
    r.add("link", "Procore vendor", "Apex Drywall (QBO 56)")
    assert r.summary() == "vendors (dry run): 1 create, 1 link"
    assert r.lines()[0].startswith("create     QBO Vendor: ACME Concrete")
