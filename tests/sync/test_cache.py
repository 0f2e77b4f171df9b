"""The remote-record cache's prefetch: a refresh reads every row it will touch in a few queries, any count of ids."""

from sqlalchemy import event
from sqlmodel import Session

from sync import cache
from tests.support.factories import World


def test_prefetch_reads_any_number_of_ids_in_chunks_then_get_and_upsert_do_not_query(engine):
    tid = World(engine).tenant.id
    with Session(engine) as s:
        for n in range(0, 2000, 2):  # every other id is cached
            cache.upsert(s, tid, "procore", "vendor", str(n), name=f"Vendor {n}", data={"n": n})
        s.commit()
    statements: list[str] = []
    with Session(engine) as s:
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        cache.prefetch(s, tid, "procore", "vendor", [str(n) for n in range(2000)])
        assert len(statements) == 3  # 2,000 ids, 900 a query: more bound parameters than old SQLite allowed in one
        assert cache.get(s, tid, "procore", "vendor", "1998").name == "Vendor 1998"
        assert cache.get(s, tid, "procore", "vendor", "1999") is None
        row, changed = cache.upsert(s, tid, "procore", "vendor", "1999", name="Vendor 1999", data={"n": 1999})
        assert changed and cache.get(s, tid, "procore", "vendor", "1999") is row
        assert len(statements) == 3
        cache.forget_prefetched(s)
        assert cache.get(s, tid, "procore", "vendor", "1999").name == "Vendor 1999"  # read again: flushed, found
        assert len(statements) > 3
