"""A private PostgreSQL cluster with the server's default settings, for benchmarks.

Test machines often run their shared cluster tuned for tests (autovacuum off,
fsync off, ...); a benchmark "at scale" should measure PostgreSQL as a user
runs it. This starts the installed server binaries in a scratch folder on a
free loopback port, as the ``postgres`` user when run as root, and removes
everything afterwards.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _binaries() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise SystemExit(
            "no PostgreSQL server binaries under /usr/lib/postgresql: run scripts/setup --test"
        )
    return versions[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def private_cluster() -> Iterator[str]:
    """Start a default-settings cluster; yield a SQLAlchemy URL of its database."""
    binaries = _binaries()
    folder = Path(tempfile.mkdtemp(prefix="muster-bench-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data = folder / "data"
    port = _free_port()
    subprocess.run(
        [
            *as_postgres,
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [
            *as_postgres,
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(folder / "server.log"),
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)
