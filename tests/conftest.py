"""Fixtures shared by the whole suite: a fresh CMDB on SQLite and on PostgreSQL.

Every test that takes ``database`` runs twice, once per backend. PostgreSQL
is reached at ``MUSTER_TEST_POSTGRES_URL`` (default: user postgres on
127.0.0.1:5432); each test session creates its own database there and drops
it at the end. With ``MUSTER_REQUIRE_POSTGRES=1`` (set by scripts/test and
CI) an unreachable PostgreSQL fails the tests instead of skipping them.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from muster.cmdb.db import Database
from muster.cmdb.models import Base

POSTGRES_URL = os.environ.get(
    "MUSTER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("MUSTER_REQUIRE_POSTGRES") == "1"
# Whatever a test starts (a sweep through the API, a server process) sends packets
# only to loopback, and to the lab's 10.77.0.0/16 only from inside its mstr-
# namespaces: the process-wide safety net of muster.collector.scope.
os.environ["MUSTER_SAFETY_NET"] = "127.0.0.0/8,10.77.0.0/16"
os.environ["MUSTER_SAFETY_NETNS"] = "mstr-"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "muster.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a migrated PostgreSQL database of our own; drop it afterwards."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"muster_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach the server means the same here
        admin.dispose()
        message = f"PostgreSQL at {POSTGRES_URL} is not usable: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (MUSTER_REQUIRE_POSTGRES=1: run scripts/start-services)")
        pytest.skip(message)
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    database.upgrade()
    database.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database created for this test session, migrated once."""
    with postgres_database() as url:
        yield url


@contextmanager
def backend_database(backend: str, sqlite_template: Path, folder: Path) -> Iterator[Database]:
    """A fresh database of its own on one backend, for fixtures wider than one test."""
    if backend == "sqlite":
        path = folder / f"muster-{uuid.uuid4().hex[:8]}.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        try:
            yield database
        finally:
            database.dispose()
        return
    with postgres_database() as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()


def truncate_all(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


# For tests of what one backend alone has: the database fixture on that backend.
postgresql_only = pytest.mark.parametrize("database", ["postgresql"], indirect=True)
sqlite_only = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Database]:
    """An empty CMDB at the current schema, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "muster.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("postgres_url")
        database = Database(url)
        truncate_all(database)
    yield database
    database.dispose()
