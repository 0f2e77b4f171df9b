"""Reliability suite: print the tally (faults, crashes, actors, bad inputs, duplicates, lost items) at the end."""

from __future__ import annotations

import pytest

from tests.reliability import tally


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not tally.snapshot() or not any(tally.snapshot().values()):
        return
    terminalreporter.section("reliability summary")
    for line in tally.table():
        terminalreporter.write_line(line)
