"""Real Chromium for the end-to-end tests: Debian's /usr/bin/chromium driven by Playwright (no browser download).

`chromium_missing_reason()` says why the browser tests can't run here (None when they can); under CI=true a missing
browser is a failure, not a skip. `launch(user_data_dir)` opens a headless persistent context with an empty profile.
`Steps` saves a numbered screenshot per step under test-output/e2e/<scenario>/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"
WAIT = 30_000  # ms: the page polls the sandbox every second; exports go to the QBO sandbox over HTTP


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def chromium_missing_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return (f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`; .ci/run does) "
                "to run the browser end-to-end tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: `pip install -e .[dev]`"
    return None


def launch(playwright, user_data_dir: Path):  # type: ignore[no-untyped-def]
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=CHROMIUM, headless=True, args=ARGS,
        viewport={"width": 1280, "height": 900}, timeout=30_000)


class Steps:
    """Numbered screenshots of a scenario: test-output/e2e/<scenario>/01-<step>.png, …"""

    def __init__(self, page, scenario: str) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.dir = OUTPUT / scenario
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.n = 0
        self.saved: list[Path] = []

    def shot(self, step: str) -> Path:
        self.n += 1
        path = self.dir / f"{self.n:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower()).strip('-')}.png"
        self.page.screenshot(path=str(path), full_page=False)
        self.saved.append(path)
        return path
