"""Ingest: turn a batch of Observations into assets, explaining every decision.

The batch is validated as a whole first (an unknown site code refuses the
batch before anything is written), then reconciled in order of observation
time, so the same Observations give the same assets whatever order they
arrive in within a batch. An Observation already stored (same content hash)
changes nothing. Batches are serialised: SQLite takes its write lock at the
start (BEGIN IMMEDIATE), PostgreSQL an advisory lock, so two ingests never
decide from the same stale view.
"""

import logging
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from muster.cmdb.errors import ObservationError
from muster.cmdb.observation import Observation
from muster.cmdb.reconcile import IngestSettings, Prepared, Reconciler, prepare
from muster.cmdb.results import Decision, IngestReport
from muster.cmdb.store import (
    AssetIdAllocator,
    SiteDirectory,
    flush,
    known_hashes,
    load_working_set,
)

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key shared by every ingest ("muster" in ASCII).
INGEST_LOCK_KEY = 0x6D7573746572
DEFAULT_BATCH = 2000


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
    With ``commit_batches`` each batch is committed as it completes, so a long
    file keeps what was done if interrupted; re-running it is harmless.
    """
    settings = settings or IngestSettings()
    connection = _locked(session)
    sites = SiteDirectory.load(connection)
    placed = [_place(index, obs, sites) for index, obs in enumerate(observations)]
    hashes = [obs.content_hash() for obs in observations]
    order = sorted(
        range(len(observations)), key=lambda i: (observations[i].observed_at, hashes[i])
    )

    decisions: list[Decision | None] = [None] * len(observations)
    first_index: dict[str, int] = {}
    allocator = AssetIdAllocator(connection)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        known = known_hashes(connection, [hashes[i] for i in chunk])
        batch: list[Prepared] = []
        for index in chunk:
            content_hash = hashes[index]
            if content_hash in known:
                decisions[index] = _duplicate(index, known[content_hash])
            elif content_hash in first_index:
                decisions[index] = _duplicate(index, decisions[first_index[content_hash]])
            else:
                first_index[content_hash] = index
                site_id, site_code = placed[index]
                batch.append(
                    prepare(
                        index,
                        observations[index],
                        content_hash,
                        site_id=site_id,
                        site_code=site_code,
                    )
                )
        _reconcile_batch(connection, batch, settings, allocator, decisions)
        if commit_batches and not dry_run:
            session.commit()
            connection = _locked(session)
            allocator = AssetIdAllocator(connection)
        if progress is not None:
            progress(len(chunk))
    if dry_run:
        session.rollback()
    report = IngestReport(dry_run=dry_run, decisions=[d for d in decisions if d is not None])
    logger.info("ingested %d observations: %s", len(observations), report.counts())
    return report


def _locked(session: Session) -> Connection:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
    return connection


def _place(
    index: int, observation: Observation, sites: SiteDirectory
) -> tuple[int | None, str | None]:
    """Return the site of an Observation: the one it names, else the one its address is in."""
    if observation.site is not None:
        site_id = sites.by_code.get(observation.site)
        if site_id is None:
            raise ObservationError(
                f"observation {index}: site {observation.site!r} does not exist: add it with "
                f"`muster site add {observation.site} --name NAME --subnet CIDR`, or leave "
                "`site` out to place the device by its address"
            )
        return site_id, observation.site
    addresses = list(observation.identifiers.ips)
    for interface in observation.interfaces or []:
        addresses.extend(interface.ips)
    for address in addresses:
        site_id = sites.site_of_address(address)
        if site_id is not None:
            return site_id, sites.code_by_id[site_id]
    return None, None


def _duplicate(index: int, earlier: int | Decision | None) -> Decision:
    asset_id = earlier.asset_id if isinstance(earlier, Decision) else earlier
    return Decision(
        index=index,
        outcome="unchanged",
        asset_id=asset_id,
        asset=f"#{asset_id}" if asset_id is not None else "no asset",
        rule="duplicate",
    )


def _reconcile_batch(
    connection: Connection,
    batch: list[Prepared],
    settings: IngestSettings,
    allocator: AssetIdAllocator,
    decisions: list[Decision | None],
) -> None:
    ws = load_working_set(connection, batch)
    reconciler = Reconciler(ws, settings, allocator)
    applied = [reconciler.apply(prepared) for prepared in batch]
    flush(connection, ws)
    for decision, target in zip(applied, reconciler.targets, strict=True):
        live = target.live()
        if live is not target:
            decision.notes.append(f"{target.label} was then merged into {live.label}")
        decision.asset_id = live.id
        decision.asset = live.label
        decisions[decision.index] = decision
