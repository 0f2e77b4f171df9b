"""Shared set-up for the sync benchmarks: sandboxes in their own processes, a tenant, planting in bulk."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from bench.bulk_export import Sandbox, start_sandbox  # noqa: F401  (re-exported)

ROOT = Path(__file__).resolve().parents[1]


def start_procore() -> tuple[str, subprocess.Popen]:
    """The Procore sandbox in its own process (`sandbox.procore.cli.main(["--port", "0"])`)."""
    code = "import sys; from sandbox.procore.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "--port", "0", "--seed", "none"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    url = None
    for _ in range(200):
        line = proc.stderr.readline() if proc.stderr else ""
        if not line:
            break
        m = re.search(r"listening on (http://[\d.]+:\d+)", line)
        if m:
            url = m.group(1)
            break
    if url is None:
        proc.kill()
        raise RuntimeError("the Procore sandbox did not start")
    threading.Thread(target=lambda: proc.stderr.read() if proc.stderr else None, daemon=True).start()
    return url, proc


def plant(url: str, realm: str, token: str, entity: str, bodies: list[dict[str, Any]], *,
          per_call: int = 2000) -> list[dict[str, Any]]:
    """Create `bodies` as `entity` through the sandbox's admin bulk route (`per_call` a call); returns them.
    Planting is set-up, not what a benchmark measures: through /batch (30 a call) it took minutes of `make bench`.
    `token` is unused (the admin routes need none); kept so callers read the same."""
    out: list[dict[str, Any]] = []
    with httpx.Client(timeout=600) as client:
        for n in range(0, len(bodies), per_call):
            r = client.post(f"{url}/_sandbox/realms/{realm}/bulk",
                            json={"entity": entity, "items": bodies[n:n + per_call]})
            if r.status_code != 200:
                raise RuntimeError(f"planting {entity} failed: {r.text[:500]}")
            out += r.json()[entity]
    return out
