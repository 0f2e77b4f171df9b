"""The browser the end-to-end tests share per module: Debian's Chromium with a new, empty profile."""

from __future__ import annotations

import pytest

from tests.e2e.browser import WAIT, chromium_missing_reason, launch


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    missing = chromium_missing_reason()
    if missing:  # the modules skip themselves outside CI; under CI=true a missing browser fails
        pytest.fail(f"CI=true and the browser tests can't run: {missing}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT)
    with sync_playwright() as p:
        context = launch(p, tmp_path_factory.mktemp("chromium-profile"))  # a new, empty user data dir
        context.set_default_timeout(WAIT)
        yield context
        context.close()
