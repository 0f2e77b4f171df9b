"""A stateful local emulator of the Procore REST API (see docs/procore.md and developers.procore.com).

`create_app(**options)` builds the WSGI app; `main(argv)` serves it (`ledgerlink sandbox procore`).
Admin controls live under `/_sandbox/` (see `sandbox.procore.admin`).
"""

from __future__ import annotations

from .app import create_app
from .cli import main

__all__ = ["create_app", "main"]
