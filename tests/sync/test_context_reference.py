"""Reference lists (Procore cost types, …) are read once per context, not once per record."""

from __future__ import annotations

from sync.context import TenantContext


def test_a_reference_list_is_read_once_within_its_ttl():
    ctx = TenantContext(engine=None, tenant_id=1)  # type: ignore[arg-type]
    reads: list[int] = []

    def load() -> dict[int, str]:
        reads.append(1)
        return {4001: "Subcontract"}

    for _ in range(5):
        assert ctx.reference("procore.line_item_types", load) == {4001: "Subcontract"}
    assert len(reads) == 1
    assert ctx.reference("procore.line_item_types", load, ttl=0.0) == {4001: "Subcontract"}
    assert len(reads) == 2  # stale: read again
