"""Shared set-up for the sync benchmarks: sandboxes in their own processes, a tenant, fast planting via /batch."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
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
          threads: int = 4) -> list[dict[str, Any]]:
    """Create `bodies` as `entity` through POST /batch (30 per call, `threads` calls in flight); returns them."""
    chunks = [bodies[n:n + 30] for n in range(0, len(bodies), 30)]
    out: list[list[dict[str, Any]]] = [[] for _ in chunks]
    local = threading.local()

    def send(n: int) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=120, headers={"Authorization": f"Bearer {token}"})
        items = [{"bId": str(i), "operation": "create", entity: b} for i, b in enumerate(chunks[n])]
        r = client.post(f"{url}/v3/company/{realm}/batch", params={"minorversion": 75},
                        json={"BatchItemRequest": items})
        r.raise_for_status()
        got = sorted(r.json()["BatchItemResponse"], key=lambda x: int(x["bId"]))
        for g in got:
            if entity not in g:
                raise RuntimeError(f"planting {entity} failed: {g}")
        out[n] = [g[entity] for g in got]

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, range(len(chunks))))
    return [x for chunk in out for x in chunk]
