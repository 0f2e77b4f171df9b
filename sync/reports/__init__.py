"""Reports (data layer): rows as dataclasses, CSV from the same rows, a permission check per the seed's table.

    from sync.reports import accountant_report, to_csv
    rows = accountant_report(session, actor, tenant_id=t)       # PermissionDenied with a sentence if not allowed
    text = to_csv(rows, AccountantRow)

Slack renders these rows later (blocks/reports.py); nothing here knows Slack.
"""

from sync.reports.accountant import AccountantRow, AccountantSummaryRow, accountant_report, accountant_summary
from sync.reports.csvfile import to_csv
from sync.reports.job_costs import JobCostRow, fetch_budgets, job_costs_report
from sync.reports.lists import (
    ArchivedCompanyRow,
    SubJobRow,
    UnsyncableRow,
    archived_companies,
    synced_sub_jobs,
    unsyncable_report,
)

__all__ = [
    "AccountantRow", "AccountantSummaryRow", "ArchivedCompanyRow", "JobCostRow", "SubJobRow", "UnsyncableRow",
    "accountant_report", "accountant_summary", "archived_companies", "fetch_budgets", "job_costs_report",
    "synced_sub_jobs", "to_csv", "unsyncable_report",
]
