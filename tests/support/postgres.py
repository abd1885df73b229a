"""A throwaway PostgreSQL server for the test run, started from the installed binaries.

The server lives in a temporary directory, listens on 127.0.0.1 only, trusts
local connections, and skips fsync: it holds nothing worth keeping. PostgreSQL
refuses to run as root, so as root it runs as the ``postgres`` system user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path:
    candidates = [os.environ.get("HONGXIN_TEST_PG_BINDIR", "")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            candidates.append(
                subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                               check=True).stdout.strip()
            )
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) found")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """Start a server and yield a ``postgresql://`` URL to its ``postgres`` database."""
    bindir = find_bindir()
    root = Path(tempfile.mkdtemp(prefix="hongxin-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable("running as root and there is no 'postgres' user") from None
        os.chown(root, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()

    def run(*command: str) -> None:
        result = subprocess.run([*as_user, *command], capture_output=True, text=True)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{command[0]} failed: {result.stderr.strip()[-500:]}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
        "-E", "UTF8", "--locale=C")
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root}"
               " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
               " -c max_connections=200")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
        "-w", "-t", "60", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
