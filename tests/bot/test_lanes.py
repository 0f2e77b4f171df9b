"""The background pool's two lanes and the per-company drain coalescing (bot/services/lanes.py)."""

from __future__ import annotations

import threading
import time

import pytest

from bot.services.lanes import Coalescer, LaneExecutor


@pytest.fixture
def lanes():
    pool = LaneExecutor(4, later_cap=2, name="t", max_wait=5.0)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def test_later_work_waits_while_urgent_work_runs_or_waits(lanes):
    """A later task queued behind a running decision starts only once no decision is running or queued."""
    order: list[str] = []
    release = threading.Event()
    urgent = lanes.submit(lambda: (release.wait(5), order.append("urgent"))[1])
    later = lanes.submit_later(order.append, "later")
    time.sleep(0.2)  # idle threads are free: only the lane rule keeps the later task waiting
    assert order == [] and not later.done()
    release.set()
    urgent.result(5), later.result(5)
    assert order == ["urgent", "later"]


def test_urgent_work_overtakes_queued_later_work(lanes):
    """With later tasks queued, a new urgent task starts first (FIFO would have put it behind them)."""
    order: list[str] = []
    gate = threading.Event()
    blockers = [lanes.submit_later(gate.wait, 5) for _ in range(2)]  # the later lane's two slots are taken
    queued = [lanes.submit_later(order.append, f"later{n}") for n in range(3)]
    urgent = lanes.submit(order.append, "urgent")
    urgent.result(5)
    assert order == ["urgent"]  # the later lane is full; an urgent task still had a thread
    gate.set()
    for f in blockers + queued:
        f.result(5)
    assert order == ["urgent", "later0", "later1", "later2"]


def test_later_work_is_not_starved_by_a_steady_stream_of_clicks():
    """Past `max_wait` a later task starts even though urgent work keeps running."""
    pool = LaneExecutor(3, later_cap=1, name="t", max_wait=0.3)
    stop = threading.Event()
    try:
        busy = pool.submit(stop.wait, 5)  # urgent work running the whole time
        started = time.monotonic()
        pool.submit_later(lambda: None).result(5)
        assert 0.25 <= time.monotonic() - started < 2
        assert not busy.done()
    finally:
        stop.set()
        pool.shutdown(wait=True)


def test_yield_to_urgent_waits_for_pending_decisions(lanes):
    """A drain between rounds (here: any thread) waits while a decision runs, and goes on when it is done."""
    release = threading.Event()
    lanes.submit(release.wait, 5)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    lanes.yield_to_urgent()
    assert release.is_set() and 0.2 <= time.monotonic() - started < 3
    started = time.monotonic()
    lanes.yield_to_urgent()  # nothing pending: no wait
    assert time.monotonic() - started < 0.1


def test_failures_reach_the_future_and_the_pool_goes_on(lanes):
    boom = lanes.submit_later(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        boom.result(5)
    assert lanes.submit(lambda: 7).result(5) == 7


def test_later_cap_keeps_a_thread_for_clicks():
    with pytest.raises(ValueError):
        LaneExecutor(2, later_cap=2, name="t")


def test_coalescer_runs_one_round_for_everything_that_arrived_meanwhile():
    """Ten callers for one key: one runs rounds (the first with its own item, the next with all that came in
    during the first), the other nine hand their items over and return at once."""
    coalescer = Coalescer()
    rounds: list[list[int]] = []
    first_round = threading.Event()
    joined = threading.Event()

    def round_(items: list[int]) -> None:
        rounds.append(items)
        if len(rounds) == 1:
            first_round.set()
            joined.wait(5)

    runner = threading.Thread(target=coalescer.run, args=("acme", 0, round_))
    runner.start()
    first_round.wait(5)
    ran = [coalescer.run("acme", n, round_) for n in range(1, 10)]
    joined.set()
    runner.join(5)
    assert ran == [False] * 9
    assert rounds == [[0], list(range(1, 10))]
    assert coalescer.run("acme", 10, round_) is True and rounds[-1] == [10]  # a fresh run afterwards


def test_coalescer_keys_are_independent_and_a_failure_frees_the_key():
    coalescer = Coalescer()
    seen: list[tuple[str, list[int]]] = []
    assert coalescer.run("a", 1, lambda items: seen.append(("a", items)))
    with pytest.raises(RuntimeError):
        coalescer.run("b", 2, lambda items: (_ for _ in ()).throw(RuntimeError("db down")))
    assert coalescer.run("b", 3, lambda items: seen.append(("b", items)))
    assert seen == [("a", [1]), ("b", [3])]
