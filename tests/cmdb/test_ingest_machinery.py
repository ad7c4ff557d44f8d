"""How ingest runs, apart from what it decides: garbage collection, bulk statements,
PostgreSQL's planner.

The bulk statements run on SQLite and on PostgreSQL (the ``database`` fixture).
"""

import gc
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from muster.cmdb.db import Database
from muster.cmdb.driver import Driver, Writer
from muster.cmdb.ingest import ingest, lock_for_ingest
from muster.cmdb.models import AssetSource
from muster.cmdb.observation import Observation
from muster.cmdb.store import IdAllocator
from tests.cmdb.helpers import run_ingest
from tests.conftest import postgres_database, postgresql_only, sqlite_only
from tests.factories import observation

MAC = "00:1b:21:00:00:01"


def test_ingest_leaves_the_garbage_collector_as_it_found_it(database: Database) -> None:
    assert gc.isenabled()
    run_ingest(database, [observation("arp", macs=[MAC], ips=["10.0.0.5"])])
    assert gc.isenabled()

    gc.disable()
    try:
        with database.session(writer=True) as session:
            ingest(session, [observation("arp", at=timedelta(hours=1), macs=[MAC])])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_ingest_leaves_no_cyclic_garbage(database: Database) -> None:
    run_ingest(database, [observation("arp", macs=[MAC])])  # caches filled, engine warm
    machines = [
        observation(
            "agent", serial=f"CZC{n}", macs=[f"00:1b:21:00:01:{n:02x}"], hostname=f"pc-{n}"
        )
        for n in range(20)
    ]
    # Twice: finalizers run by the first collection (a Database dropped by an
    # earlier test closing its engine) leave more garbage for the next.
    gc.collect()
    gc.collect()
    gc.disable()
    try:
        run_ingest(database, machines)
        collected = gc.collect()
    finally:
        gc.enable()
    # 20 assets, each with identifiers pointing back at it, were freed without the collector.
    assert collected < 20


def test_update_many_sets_rows_by_compound_key(database: Database) -> None:
    run_ingest(
        database,
        [
            observation("agent", serial="CZC1", macs=[MAC]),
            observation("arp", at=timedelta(minutes=5), macs=[MAC]),
        ],
    )
    first = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    last = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    with database.session(writer=True) as session:
        driver = Driver(session.connection())
        (asset_id,) = session.query(AssetSource.asset_id).distinct().one()
        driver.update_many(
            "asset_source",
            ("first_seen", "last_seen"),
            [(driver.time_out(first), driver.time_out(last), asset_id, "arp")],
            keys=("asset_id", "source"),
        )
    with database.session() as session:
        seen = {
            row.source: (row.first_seen, row.last_seen)
            for row in session.query(AssetSource).order_by(AssetSource.source)
        }
    assert seen["arp"] == (first, last)
    assert seen["agent"] == (datetime(2026, 11, 2, 8, 0, tzinfo=UTC),) * 2


@sqlite_only  # the settings are SQLite's
def test_ingest_puts_the_sqlite_settings_back(database: Database) -> None:
    seen: list[tuple[int, int]] = []

    def settings(session: Session) -> tuple[int, int]:
        cache = session.execute(text("PRAGMA cache_size")).scalar_one()
        checkpoint = session.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
        return int(cache), int(checkpoint)

    with database.session(writer=True) as session:
        before = settings(session)
        ingest(
            session,
            [observation("arp", macs=[MAC])],
            progress=lambda _n: seen.append(settings(session)),
        )
        seen.append(settings(session))
    assert before == (-2000, 1000)  # SQLite's defaults: 2 MiB, every 1000 pages
    assert seen == [(-65536, 16384), (-2000, 1000)]  # raised while ingesting, then put back


def test_id_allocator_hands_out_each_id_once(database: Database) -> None:
    with database.session(writer=True) as session:
        allocate = IdAllocator(lock_for_ingest(session), "observation")
        first = allocate()
        block = allocate.take(3)
        after = allocate()
        many = allocate.take(300)
    assert block == [first + 1, first + 2, first + 3]
    assert after == first + 4
    assert many == sorted(many)
    assert len({first, *block, after, *many}) == 305
    assert min(many) > after


@postgresql_only
def test_ingest_prices_index_reads_as_reads_from_memory(database: Database) -> None:
    def cost(session: Session) -> str:
        return str(session.execute(text("SELECT current_setting('random_page_cost')")).scalar())

    seen: list[str] = []
    with database.session(writer=True) as session:
        before = cost(session)
        ingest(
            session,
            [observation("arp", macs=[MAC])],
            progress=lambda _n: seen.append(cost(session)),
        )
        session.commit()
        after = cost(session)
    # For the ingest's transaction only (SET LOCAL): PostgreSQL's default before and after.
    assert (before, seen, after) == ("4", ["1.1"], "4")


def _never_analysed(database: Database) -> list[str]:
    with database.session() as session:
        return list(
            session.execute(
                text(
                    "SELECT relname FROM pg_class WHERE reltuples < 0 "
                    "AND relname IN ('asset', 'identifier', 'observation') ORDER BY relname"
                )
            ).scalars()
        )


def _estimates(database: Database) -> dict[str, tuple[int, int]]:
    """Each planned table: (the planner's estimate of its rows, the rows it holds)."""
    estimates = {}
    with database.session() as session:
        for table in ("asset", "identifier", "observation"):
            (plan,) = session.execute(text(f"EXPLAIN (FORMAT JSON) SELECT id FROM {table}")).one()  # noqa: S608
            count = session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            estimates[table] = (plan[0]["Plan"]["Plan Rows"], count)
    return estimates


def _machines(count: int) -> list[Observation]:
    return [
        observation(
            "agent",
            at=timedelta(seconds=n),
            serial=f"CZC{n:05d}",
            macs=[f"00:1b:21:00:{n >> 8:02x}:{n & 0xFF:02x}"],
            hostname=f"pc-{n}",
            ips=[f"10.1.{n >> 8}.{n & 0xFF}"],
        )
        for n in range(count)
    ]


def test_ingest_keeps_postgres_row_estimates_near_the_truth() -> None:
    with postgres_database() as url:  # tables no one has analysed yet
        fresh = Database(url)
        try:
            with fresh.session(writer=True) as session:
                ingest(session, _machines(3000), batch_size=300, commit_batches=True)
            estimates = _estimates(fresh)
        finally:
            fresh.dispose()
    assert {table: rows for table, (_estimate, rows) in estimates.items()} == {
        "asset": 3000,
        "identifier": 12000,  # serial, MAC, hostname and IP of each machine
        "observation": 3000,
    }
    for table, (estimate, rows) in estimates.items():
        # Measured before the last batch, at least: the estimate scales with the pages.
        assert rows / 2 <= estimate <= rows * 1.25, (table, estimate)


def test_dry_run_gathers_no_statistics() -> None:
    with postgres_database() as url:
        fresh = Database(url)
        try:
            run_ingest(fresh, _machines(3000), dry_run=True, batch_size=300)
            unmeasured = _never_analysed(fresh)
        finally:
            fresh.dispose()
    # ANALYZE writes row counts in place, outside the transaction: after the
    # rollback the planner would count rows that are not there.
    assert unmeasured == ["asset", "identifier", "observation"]


def test_writer_runs_writes_in_order_and_skips_the_rest_after_a_failure() -> None:
    done: list[int] = []

    def fail() -> None:
        raise ValueError("duplicate key")

    writer = Writer()
    try:
        writer.submit(lambda: done.append(1))
        writer.submit(lambda: done.append(2))
        writer.submit(fail)
        writer.submit(lambda: done.append(3))
        with pytest.raises(ValueError, match="duplicate key"):
            writer.wait()
        assert done == [1, 2]
        writer.submit(lambda: done.append(4))  # the next batch's writes run again
        writer.wait()
        assert done == [1, 2, 4]
    finally:
        writer.close()


def test_a_failed_write_leaves_nothing_of_the_batch(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_ingest(database, _machines(2))
    before = _stored(database)
    original = Driver._insert_many

    def refuse_history(self: Driver, table: str, *args: Any) -> None:
        if table == "change":
            raise RuntimeError("disk full")
        original(self, table, *args)

    monkeypatch.setattr(Driver, "_insert_many", refuse_history)
    renamed = [
        observation("agent", at=timedelta(days=1), serial="CZC00000", hostname="renamed", macs=[]),
        *_machines(5)[2:],
    ]
    with pytest.raises(RuntimeError, match="disk full"):
        run_ingest(database, renamed, batch_size=2)
    monkeypatch.undo()

    assert _stored(database) == before
    assert run_ingest(database, renamed, batch_size=2).counts() == {
        "created": 3,
        "updated": 1,
        "unchanged": 0,
        "conflict": 0,
    }


def _stored(database: Database) -> dict[str, Any]:
    """Row counts of what ingest writes, and the assets' host names."""
    with database.session() as session:
        counts = {
            table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            for table in ("asset", "identifier", "observation", "change", "asset_source")
        }
        names = session.execute(text("SELECT hostname FROM asset ORDER BY id")).scalars()
        return {**counts, "hostnames": list(names)}


def test_committing_ingest_keeps_what_was_committed_before_a_failure(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("muster.cmdb.ingest.COMMIT_EVERY", 6)
    original = Driver._insert_many
    batches: list[int] = []

    def fail_fifth_batch(self: Driver, table: str, *args: Any) -> None:
        if table == "observation":
            batches.append(1)
            if len(batches) == 5:
                raise RuntimeError("disk full")
        original(self, table, *args)

    monkeypatch.setattr(Driver, "_insert_many", fail_fifth_batch)
    with pytest.raises(RuntimeError, match="disk full"), database.session(writer=True) as session:
        ingest(session, _machines(10), batch_size=2, commit_batches=True)

    # Committed after the 3rd batch (6 Observations); the 4th batch waited for
    # the next commit and went with the 5th.
    assert _stored(database)["hostnames"] == [f"pc-{n}" for n in range(6)]
