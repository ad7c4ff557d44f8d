"""Plain reads give what SQLAlchemy's own execution gives, on both backends."""

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import bindparam, func, select, update

from muster.cmdb import db
from muster.cmdb.db import Database
from muster.cmdb.models import ApiToken, Asset, Identifier
from muster.cmdb.observation import parse_observation
from muster.cmdb.plain import PlainReader, PlainSelect, plain_reader, run_plain, session_reader
from muster.cmdb.tokens import Scope, create_token
from tests.cmdb.helpers import add_site, run_ingest
from tests.conftest import postgresql_only

SEEN = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _token(database: Database) -> None:
    with database.session(writer=True) as session:
        create_token(session, "reader", [Scope.READ, Scope.INGEST])
        session.execute(update(ApiToken).values(last_used_at=SEEN))


def test_plain_select_converts_json_and_utc_columns_like_core(database: Database) -> None:
    _token(database)
    statement = select(
        ApiToken.name, ApiToken.scopes, ApiToken.sites, ApiToken.last_used_at
    ).where(ApiToken.name == bindparam("name"))
    plain = PlainSelect(statement)

    with plain_reader(database.engine) as reader:
        row = reader.first(plain, name="reader")
        missing = reader.first(plain, name="nobody")
    with database.session() as session:
        core = tuple(session.execute(statement, {"name": "reader"}).one())

    assert row == core == ("reader", ["read", "ingest"], [], SEEN)
    assert row is not None
    assert row[3].tzinfo is UTC
    assert missing is None


def test_plain_select_binds_values_written_into_the_statement(database: Database) -> None:
    add_site(database, "lincoln-es", "10.10.0.0/22")
    observation = {
        "schema": "muster.observation/1",
        "source": "agent",
        "observed_at": "2026-11-02T08:00:00Z",
        "site": "lincoln-es",
        "identifiers": {
            "serial": "5CG1",
            "macs": ["00:1a:2b:00:00:02", "00:1a:2b:00:00:01"],
            "ips": ["10.10.0.7"],
            "hostname": "lab-a",
        },
    }
    run_ingest(database, [parse_observation(observation)])
    addresses = PlainSelect(
        select(Identifier.type, Identifier.value)
        .where(Identifier.asset_id == bindparam("asset_id"), Identifier.type == "mac")
        .order_by(Identifier.value)
    )

    with database.session() as session:
        rows = session_reader(session).all(addresses, asset_id=1)

    assert rows == [("mac", "00:1a:2b:00:00:01"), ("mac", "00:1a:2b:00:00:02")]


def test_plain_select_refuses_a_list_to_expand(database: Database) -> None:
    plain = PlainSelect(select(Asset.id).where(Asset.kind.in_(["laptop", "desktop"])))

    with (
        plain_reader(database.engine) as reader,
        pytest.raises(ValueError, match=r"^a plain statement cannot take IN over a list"),
    ):
        reader.all(plain)


def test_thread_readers_lend_each_thread_its_own_connection(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'muster.db'}")
    database.ensure_schema()
    readers = database.loop_readers
    assert readers is not None
    seen: list[object] = []

    def connection_of_this_thread() -> None:
        with readers.reader() as reader:
            seen.append(reader.connection)

    connection_of_this_thread()
    connection_of_this_thread()
    other = threading.Thread(target=connection_of_this_thread)
    other.start()
    other.join()
    readers.close()
    connection_of_this_thread()
    database.dispose()

    assert seen[0] is seen[1]
    assert len({id(connection) for connection in seen}) == 3


def test_only_sqlite_has_thread_readers(database: Database) -> None:
    assert (database.loop_readers is not None) == (database.engine.dialect.name == "sqlite")


def test_plain_reads_see_one_snapshot_on_sqlite_and_commit_each_on_postgresql(
    database: Database,
) -> None:
    _token(database)
    names = PlainSelect(select(ApiToken.name))

    with plain_reader(database.engine) as reader:
        rows = reader.all(names)
        if database.engine.dialect.name == "sqlite":
            in_transaction = reader.connection.in_transaction
        else:
            status = reader.connection.dbapi_connection.info.transaction_status
            in_transaction = status != 0  # psycopg.pq.TransactionStatus.IDLE
    lent_again = database.engine.raw_connection()
    autocommit_after = getattr(lent_again.dbapi_connection, "autocommit", False)
    lent_again.close()

    assert rows == [("reader",)]
    assert in_transaction == (database.engine.dialect.name == "sqlite")
    assert autocommit_after is False


_BACKEND = PlainSelect(select(func.pg_backend_pid()))


def _backend_of(reader: PlainReader) -> int:
    row = reader.first(_BACKEND)
    assert row is not None
    return int(row[0])


def _terminate(database: Database, pid: int) -> None:
    """Close one server process of the pool's connections, as a server restart would."""
    other = Database(database.url)
    with other.engine.connect() as connection:
        connection.execute(select(func.pg_terminate_backend(pid)))
    other.dispose()


@postgresql_only
def test_plain_reads_run_again_on_a_new_connection_when_theirs_died(database: Database) -> None:
    _token(database)
    before = run_plain(database.engine, _backend_of)
    _terminate(database, before)

    # Used a moment ago, the connection is lent without a ping: the read finds it dead.
    after = run_plain(database.engine, _backend_of)
    names = run_plain(
        database.engine, lambda reader: reader.all(PlainSelect(select(ApiToken.name)))
    )

    assert after != before
    assert names == [("reader",)]


@postgresql_only
def test_a_connection_idle_in_the_pool_is_pinged_and_replaced_when_dead(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database.session() as session:
        before = session.scalar(select(func.pg_backend_pid()))
    assert before is not None
    _terminate(database, before)
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)

    # A session does not read again: without the ping it would fail here.
    with database.session() as session:
        after = session.scalar(select(func.pg_backend_pid()))

    assert after not in (None, before)
