"""A throwaway PostgreSQL server for the test session, from Debian's packages when they are installed.

Order: `LEDGERLINK_TEST_POSTGRES_URL` if set (CI or a developer's own server); else start a private cluster
with the Debian binaries in a temp dir (as the `postgres` user when we are root, since initdb refuses root);
else None, and Postgres-parametrised tests are skipped — except under CI=true, where a missing server fails.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir: Path | None = None
        self.port = _free_port()
        self.url: str | None = None

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True)

    def start(self) -> str | None:
        if self.bin is None or shutil.which("runuser") is None and os.geteuid() == 0:
            return None
        self.dir = Path(tempfile.mkdtemp(prefix="ledgerlink-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
        self.start_again()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        return self.url

    # --- outages (tests/reliability/test_db_outage.py) -----------------------------------------------------------
    def _pg_ctl(self, *args: str) -> None:
        assert self.dir is not None and self.bin is not None, "the server was not started"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), *args)

    def start_again(self) -> None:
        """Start the server (again), waiting until it accepts connections."""
        self._pg_ctl("-w", "-o", f"-p {self.port} -h 127.0.0.1 -k {self.dir} -F -c max_connections=200", "start")

    def restart(self, mode: str = "fast") -> None:
        """`pg_ctl restart -m <mode>`: every connection is cut; back when this returns."""
        self._pg_ctl("-w", "-m", mode, "restart")

    def running(self) -> bool:
        try:
            self._pg_ctl("status")
        except subprocess.CalledProcessError:
            return False
        return True

    def halt(self, mode: str = "immediate") -> None:
        """`pg_ctl stop -m <mode>` without removing anything: `start_again` brings it back."""
        self._pg_ctl("-w", "-m", mode, "stop")

    def stop(self) -> None:
        if self.dir and self.bin:
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.1)
            shutil.rmtree(self.dir, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """Create a fresh database on the server and return its URL."""
    import sqlalchemy as sa

    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    base = server_url.rsplit("/", 1)[0]
    return f"{base}/{name}"
