"""How ingest runs, apart from what it decides: garbage collection and bulk statements.

The bulk statements run on SQLite and on PostgreSQL (the ``database`` fixture).
"""

import gc
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from muster.cmdb.db import Database
from muster.cmdb.driver import Driver
from muster.cmdb.ingest import ingest, lock_for_ingest
from muster.cmdb.models import AssetSource
from muster.cmdb.store import IdAllocator
from tests.cmdb.helpers import run_ingest
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


def test_ingest_puts_the_sqlite_settings_back(database: Database) -> None:
    seen: list[tuple[int, int]] = []

    def settings(session: Session) -> tuple[int, int]:
        cache = session.execute(text("PRAGMA cache_size")).scalar_one()
        checkpoint = session.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
        return int(cache), int(checkpoint)

    with database.session(writer=True) as session:
        if session.connection().dialect.name != "sqlite":
            pytest.skip("a SQLite setting")
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
