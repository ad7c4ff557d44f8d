"""Ingest: turn a batch of Observations into assets, explaining every decision.

The batch is validated as a whole first (an unknown site code refuses the
batch before anything is written), then reconciled in order of observation
time, so the same Observations give the same assets whatever order they
arrive in within a batch. An Observation already stored (same content hash)
changes nothing. Batches are serialised: SQLite takes its write lock at the
start (BEGIN IMMEDIATE), PostgreSQL an advisory lock, so two ingests never
decide from the same stale view.

Python's cyclic garbage collector is paused for the whole call
(``gcpause``): a batch holds a few hundred thousand small objects (the
working set, prepared claims, payloads) that all live until it is written,
and the working set breaks its own reference cycles when a batch ends
(``WorkingSet.release``).

On SQLite, two settings of the connection are raised for the duration and
put back afterwards (``SQLITE_INGEST_PRAGMAS``). Each batch updates index
pages all over the identifier, observation and asset tables: with the default
2 MiB page cache most of them were read again from the file for every batch,
and with the default checkpoint every 1000 WAL pages each commit copied them
all back into the database file, although the next batches change most of
them again.

On PostgreSQL, each batch is planned with statistics refreshed as the
tables grow and with index reads priced as reads from memory
(``driver.Planner``), and its writes run on a thread of their own
(``driver.Writer``): the server writes one statement while Python builds the
rows of the next, and prepares the next batch.
"""

import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from muster.cmdb.driver import Planner, Writer
from muster.cmdb.errors import ObservationError
from muster.cmdb.gcpause import collector_paused
from muster.cmdb.models import Sweep
from muster.cmdb.observation import Observation, content_hash
from muster.cmdb.reconcile import IngestSettings, Prepared, Reconciler, prepare
from muster.cmdb.results import Decision, IngestReport
from muster.cmdb.state import WorkingSet
from muster.cmdb.store import (
    IdAllocator,
    SiteDirectory,
    flush,
    known_hashes,
    load_working_set,
)

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key shared by every ingest ("muster" in ASCII).
INGEST_LOCK_KEY = 0x6D7573746572
DEFAULT_BATCH = 2000
# With commit_batches, Observations between commits. Each commit writes every
# page the transaction changed; the index pages of the identifier, observation
# and asset tables change in every batch, so committing every batch (2,000)
# wrote them five times as often, and took 15 % of an ingest on SQLite.
COMMIT_EVERY = 10_000
# SQLite settings while ingesting: a 64 MiB page cache (it grows only as pages
# are used) and a checkpoint every 16384 WAL pages (64 MiB) rather than 1000.
SQLITE_INGEST_PRAGMAS = {"cache_size": -65536, "wal_autocheckpoint": 16384}


def ingest(
    session: Session,
    observations: Sequence[Observation],
    *,
    dry_run: bool = False,
    settings: IngestSettings | None = None,
    batch_size: int = DEFAULT_BATCH,
    commit_batches: bool = False,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Reconcile Observations into the CMDB and return one Decision per Observation.

    With ``dry_run`` everything is decided and written inside the transaction,
    then rolled back, so the explanation is exactly what a real run would do.
    With ``commit_batches`` the work is committed every ``COMMIT_EVERY``
    Observations and at the end, so a long file keeps what was done if
    interrupted; re-running it is harmless.
    """
    settings = settings or IngestSettings()
    with collector_paused(), _sqlite_tuned() as tuning:
        return _ingest(
            session,
            observations,
            dry_run,
            settings,
            batch_size,
            commit_batches,
            progress,
            tuning,
        )


class _SqliteTuning:
    """Applies ``SQLITE_INGEST_PRAGMAS`` to the SQLite connections ingest writes through."""

    def __init__(self) -> None:
        # DBAPI connections by id, with the settings each had before.
        self._tuned: dict[int, tuple[Any, dict[str, int]]] = {}

    def apply(self, connection: Connection) -> None:
        """Tune a SQLite connection for ingest; other backends are left alone."""
        if connection.dialect.name != "sqlite":
            return
        raw = connection.connection.dbapi_connection
        if raw is None or id(raw) in self._tuned:
            return
        before = {}
        for name, value in SQLITE_INGEST_PRAGMAS.items():
            (before[name],) = raw.execute(f"PRAGMA {name}").fetchone()
            raw.execute(f"PRAGMA {name} = {value}")
        self._tuned[id(raw)] = (raw, before)

    def restore(self) -> None:
        """Put every tuned connection's settings back (SQLite frees the extra pages)."""
        for raw, before in self._tuned.values():
            try:
                for name, value in before.items():
                    raw.execute(f"PRAGMA {name} = {int(value)}")
            except sqlite3.ProgrammingError:  # closed meanwhile: nothing left to put back
                continue
        self._tuned.clear()


@contextmanager
def _sqlite_tuned() -> Iterator[_SqliteTuning]:
    tuning = _SqliteTuning()
    try:
        yield tuning
    finally:
        tuning.restore()


def _ingest(
    session: Session,
    observations: Sequence[Observation],
    dry_run: bool,
    settings: IngestSettings,
    batch_size: int,
    commit_batches: bool,
    progress: Callable[[int], None] | None,
    tuning: _SqliteTuning,
) -> IngestReport:
    connection = lock_for_ingest(session)
    tuning.apply(connection)
    sites = SiteDirectory.load(connection)
    placed = [sites.place(index, obs) for index, obs in enumerate(observations)]
    _check_sweeps(connection, observations)
    payloads = [obs.to_json_dict() for obs in observations]
    hashes = [content_hash(payload) for payload in payloads]
    order = sorted(
        range(len(observations)), key=lambda i: (observations[i].observed_at, hashes[i])
    )

    decisions: list[Decision | None] = [None] * len(observations)
    first_index: dict[str, int] = {}
    allocators = _allocators(connection)
    planner = Planner(analyse=not dry_run)
    chunks = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    writer = Writer.for_connection(connection)
    since_commit = 0
    try:
        ready = (
            _prepare_chunk(chunks[0], observations, hashes, payloads, placed, first_index)
            if chunks
            else []
        )
        for number, chunk in enumerate(chunks):
            planner.prepare(connection)
            known = known_hashes(connection, [hashes[i] for i in chunk])
            batch: list[Prepared] = []
            for index, prepared in ready:
                digest = hashes[index]
                if digest in known:
                    decisions[index] = _duplicate(index, known[digest])
                elif digest in first_index:
                    decisions[index] = _duplicate(index, decisions[first_index[digest]])
                else:
                    assert prepared is not None, "the first of its content is prepared"
                    first_index[digest] = index
                    batch.append(prepared)
            ws = _reconcile_batch(connection, batch, settings, allocators, decisions, writer)
            # The batch is being written: prepare the next one meanwhile.
            if number + 1 < len(chunks):
                ready = _prepare_chunk(
                    chunks[number + 1], observations, hashes, payloads, placed, first_index
                )
            writer.wait()
            ws.release()
            since_commit += len(chunk)
            last = number + 1 == len(chunks)
            if commit_batches and not dry_run and (since_commit >= COMMIT_EVERY or last):
                since_commit = 0
                session.commit()
                connection = lock_for_ingest(session)
                tuning.apply(connection)
                allocators = _allocators(connection)
            if progress is not None:
                progress(len(chunk))
    finally:
        writer.close()
    if dry_run:
        session.rollback()
    report = IngestReport(dry_run=dry_run, decisions=[d for d in decisions if d is not None])
    if logger.isEnabledFor(logging.INFO):  # counting 5,000 outcomes is not free
        logger.info("ingested %d observations: %s", len(observations), report.counts())
    return report


def _allocators(connection: Connection) -> tuple[IdAllocator, IdAllocator]:
    return IdAllocator(connection, "asset"), IdAllocator(connection, "observation")


def lock_for_ingest(session: Session) -> Connection:
    """Serialise with every other ingest and return the session's connection.

    SQLite writer sessions already hold the write lock (BEGIN IMMEDIATE);
    PostgreSQL takes the ingest advisory lock for the transaction. Code that
    reads and then writes what ingest writes (idempotency keys, merges by
    hand) takes it too.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
    return connection


def _check_sweeps(connection: Connection, observations: Sequence[Observation]) -> None:
    """Refuse the batch when an Observation names a sweep the CMDB does not know."""
    named = {obs.sweep_id for obs in observations if obs.sweep_id is not None}
    if not named:
        return
    known = set(connection.execute(select(Sweep.id).where(Sweep.id.in_(named))).scalars())
    for index, obs in enumerate(observations):
        if obs.sweep_id is not None and obs.sweep_id not in known:
            raise ObservationError(
                f"observation {index}: sweep {obs.sweep_id} does not exist: leave `sweep_id` "
                "out, or give the id of a sweep `muster sweep` started"
            )


def _duplicate(index: int, earlier: int | Decision | None) -> Decision:
    asset_id = earlier.asset_id if isinstance(earlier, Decision) else earlier
    return Decision.model_construct(
        index=index,
        outcome="unchanged",
        asset_id=asset_id,
        asset=f"#{asset_id}" if asset_id is not None else "no asset",
        rule="duplicate",
    )


def _prepare_chunk(
    chunk: Sequence[int],
    observations: Sequence[Observation],
    hashes: Sequence[str],
    payloads: Sequence[dict[str, Any]],
    placed: Sequence[tuple[int | None, str | None]],
    first_index: dict[str, int],
) -> list[tuple[int, Prepared | None]]:
    """Prepare a chunk's Observations but those whose content came earlier in the call.

    Whether the CMDB already holds one is known only once the batch before
    is written, so such Observations are prepared too, and dropped then.
    """
    ready: list[tuple[int, Prepared | None]] = []
    seen: set[str] = set()
    for index in chunk:
        digest = hashes[index]
        if digest in first_index or digest in seen:
            ready.append((index, None))
            continue
        seen.add(digest)
        site_id, site_code = placed[index]
        ready.append(
            (
                index,
                prepare(
                    index,
                    observations[index],
                    digest,
                    payloads[index],
                    site_id=site_id,
                    site_code=site_code,
                ),
            )
        )
    return ready


def _reconcile_batch(
    connection: Connection,
    batch: list[Prepared],
    settings: IngestSettings,
    allocators: tuple[IdAllocator, IdAllocator],
    decisions: list[Decision | None],
    writer: Writer,
) -> WorkingSet:
    """Decide a batch and queue its writes on ``writer``; return its working set."""
    asset_ids, observation_ids = allocators
    ws = load_working_set(connection, batch)
    reconciler = Reconciler(ws, settings, asset_ids)
    applied = [reconciler.apply(prepared) for prepared in batch]
    flush(connection, ws, observation_ids, writer)
    for decision, target in zip(applied, reconciler.targets, strict=True):
        live = target.live()
        if live is not target:
            decision.notes.append(f"{target.label} was then merged into {live.label}")
        decision.asset_id = live.id
        decision.asset = live.label
        decisions[decision.index] = decision
    return ws
