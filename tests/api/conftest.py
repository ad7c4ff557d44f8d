"""Fixtures for the API: an in-process client per backend, tokens of each scope, a live server."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from muster.api.app import create_app
from muster.api.settings import ApiSettings
from muster.cmdb.db import Database
from muster.cmdb.sites import upsert_site
from muster.cmdb.tokencache import TokenCache
from muster.cmdb.tokens import Scope, create_token

SMALL_LIMITS = ApiSettings(
    max_body_bytes=64 * 1024, max_decompressed_bytes=256 * 1024, max_batch=50
)


@dataclass(frozen=True)
class Tokens:
    """Secrets of one token per scope, and of an ingest token bound to lincoln-es."""

    read: str
    ingest: str
    admin: str
    lincoln_ingest: str


def auth(secret: str) -> dict[str, str]:
    """Headers that carry a token."""
    return {"Authorization": f"Bearer {secret}"}


def make_tokens(database: Database) -> Tokens:
    """Create two sites and one token of each kind."""
    with database.session(writer=True) as session:
        upsert_site(session, "lincoln-es", name="Lincoln Elementary", subnets=["10.10.0.0/22"])
        upsert_site(session, "roosevelt-ms", name="Roosevelt Middle", subnets=["10.20.0.0/22"])
        secrets = {
            name: create_token(session, name, scopes, sites=sites)[1]
            for name, scopes, sites in (
                ("read", [Scope.READ], []),
                ("ingest", [Scope.INGEST], []),
                ("admin", [Scope.ADMIN], []),
                ("lincoln_ingest", [Scope.INGEST], ["lincoln-es"]),
            )
        }
    return Tokens(**secrets)


@pytest.fixture
def tokens(database: Database) -> Tokens:
    """Sites lincoln-es and roosevelt-ms, and tokens of every scope."""
    return make_tokens(database)


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    """The API over the test's CMDB, in process, with small body limits."""
    with TestClient(create_app(database, SMALL_LIMITS), raise_server_exceptions=True) as client:
        yield client


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A `muster serve` process on an ephemeral port, and its CMDB."""

    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(database_url: str, log: Path, *extra: str) -> LiveServer:
    """Start `muster serve` on 127.0.0.1 and wait until /health answers."""
    port = free_port()
    env = {**os.environ, "MUSTER_DATABASE_URL": database_url}
    muster = Path(sys.executable).with_name("muster")
    process = subprocess.Popen(
        [str(muster), "serve", "--port", str(port), "--log-level", "warning", *extra],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"muster serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return LiveServer(url, database_url, process, log)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"muster serve did not answer within 30 s: {log.read_text()}")


def stop_server(server: LiveServer) -> None:
    """Stop the server and wait for it."""
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """`muster serve` on a SQLite CMDB of its own, on an ephemeral port."""
    server = start_server(f"sqlite:///{tmp_path / 'muster.db'}", tmp_path / "serve.log")
    yield server
    stop_server(server)


def drop_server_connections(database: Database) -> int:
    """End every other connection to the test's PostgreSQL database, as a restart would."""
    with database.engine.connect() as connection:
        dropped: int = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    return dropped


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.01)


def token_cache(client: TestClient) -> TokenCache | None:
    """The API's cache of checked tokens (PostgreSQL), listening; None on SQLite."""
    tokens: TokenCache | None = getattr(client.app.state, "tokens", None)  # type: ignore[attr-defined]
    if tokens is not None:
        _wait_for(lambda: tokens.listening, "the API to listen for token changes")
    return tokens


@contextmanager
def token_change_heard(client: TestClient) -> Iterator[None]:
    """Wait, after the block, until the API has heard that a token changed (PostgreSQL).

    A worker learns of a change by a notification from the database, which
    arrives after the change commits: within milliseconds, not at once.
    """
    tokens = token_cache(client)
    before = tokens.generation if tokens is not None else 0
    yield
    if tokens is not None:
        _wait_for(lambda: tokens.generation != before, "the API to hear of the token change")
