"""`ProcoreClient`: one typed, keyword-only method per Procore call Ledgerlink makes.

    client = ProcoreClient.from_settings(settings, tokens=token_store.source(...), company_id=4264)
    for vendor in client.list_vendors():          # lazily follows Link rel="next", 100 a page
        ...
    result = client.sync_vendors(updates)          # ≤ 1000 a call; result.failures names each refused record

The methods live by subject in `directory.py`, `costs.py`, `contracts.py`, `hooks.py` and `sub_jobs.py`; the plumbing
(company header, JSON, errors, rate-limit headers) in `_core.py` on the shared `sync.http.base.BaseClient`.
"""

from __future__ import annotations

from sync.procore.contracts import ContractCalls
from sync.procore.costs import CostCalls
from sync.procore.directory import DirectoryCalls
from sync.procore.hooks import HookCalls
from sync.procore.sub_jobs import SubJobCalls


class ProcoreClient(DirectoryCalls, CostCalls, ContractCalls, HookCalls, SubJobCalls):
    """Procore REST client for one company (see `for_company` for another). Thread-safe."""
