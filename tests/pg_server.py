"""A throwaway PostgreSQL server for the tests: `initdb` into a temporary directory, started on a free
loopback port with a private socket directory, stopped at the end; a fresh database per test.

The server comes from Debian's packages (`postgresql`); when its programs are missing and this runs as
root with apt-get, they are installed first (CI machines reach the package registries and nothing else).
As root, the server runs as the `postgres` user the package creates (initdb refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

__all__ = ["PostgresServer", "PostgresUnavailable"]


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server programs here, and they could not be installed."""


def _bin_dir() -> Path | None:
    found = shutil.which("initdb")
    candidates = ([found] if found else []) + sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for candidate in candidates:
        directory = Path(candidate).parent
        if (directory / "pg_ctl").exists():
            return directory
    return None


def _install() -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PostgresUnavailable("PostgreSQL's server programs are missing: install Debian's 'postgresql' package")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(command)} failed: {done.stderr[-2000:]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None:
            _install()
            bin_dir = _bin_dir()
        if bin_dir is None:
            raise PostgresUnavailable("PostgreSQL was installed but initdb and pg_ctl are not to be found")
        self._bin = bin_dir
        # Under /tmp (not pytest's 0700 directories), so the postgres user can reach it when we are root.
        self._root = Path(tempfile.mkdtemp(prefix="qw-postgres-", dir="/tmp"))
        self._data, self._sockets = self._root / "data", self._root / "sockets"
        self._sockets.mkdir()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self._root, "postgres")
            shutil.chown(self._sockets, "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self.port = _free_port()

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self._as_user, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{command[0]} failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")

    def start(self) -> None:
        self._run(str(self._bin / "initdb"), "-D", str(self._data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = (
            f"-p {self.port} -k {self._sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self._bin / "pg_ctl"),
            "-D",
            str(self._data),
            "-o",
            options,
            "-l",
            str(self._root / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(str(self._bin / "pg_ctl"), "-D", str(self._data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self._root, ignore_errors=True)

    def new_database(self) -> str:
        """A SQLAlchemy URL of a new, empty database."""
        import psycopg

        name = f"qw_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"
