"""Sweep records in the CMDB: started, progressing, finished (``cmdb.views`` reads them).

A running sweep beats its heartbeat whenever it hands Observations over; a
sweep marked running whose heartbeat is older than ``STALE_AFTER`` belongs to
a process that died, and is marked interrupted when next looked at.
"""

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from muster.cmdb.db import Database
from muster.cmdb.errors import NotFoundError
from muster.cmdb.models import Sweep, utcnow

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=2)
MAX_ERRORS = 200


def start_sweep(
    database: Database, site_id: int, *, techniques: list[str], targets: int, trigger: str
) -> int:
    """Record a sweep as running and return its id."""
    with database.session(writer=True) as session:
        sweep = Sweep(
            site_id=site_id,
            status="running",
            techniques=techniques,
            targets=targets,
            trigger=trigger,
            heartbeat_at=utcnow(),
        )
        session.add(sweep)
        session.flush()
        return sweep.id


def beat(
    session: Session, sweep_id: int, *, probed: int, total: int, alive: int, observations: int
) -> None:
    """Record a running sweep's progress and heartbeat."""
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        return
    sweep.probed, sweep.total, sweep.alive = probed, total, alive
    sweep.observations = observations
    sweep.heartbeat_at = utcnow()


def finish_sweep(
    database: Database,
    sweep_id: int,
    *,
    status: str,
    alive: int,
    observations: int,
    probed: int,
    total: int,
    errors: list[str],
) -> None:
    """Record how a sweep ended: completed, interrupted or failed."""
    with database.session(writer=True) as session:
        sweep = session.get(Sweep, sweep_id)
        if sweep is None:
            raise NotFoundError(f"sweep {sweep_id} does not exist")
        sweep.status = status
        sweep.finished_at = utcnow()
        sweep.alive, sweep.observations = alive, observations
        sweep.probed, sweep.total = probed, total
        shown = errors[:MAX_ERRORS]
        if len(errors) > MAX_ERRORS:
            shown.append(f"... and {len(errors) - MAX_ERRORS} more")
        sweep.errors = shown
    logger.info("sweep %d %s: %d alive, %d observations", sweep_id, status, alive, observations)


def reap_stale(session: Session, *, now: datetime | None = None) -> list[int]:
    """Mark running sweeps whose process stopped beating as interrupted; return their ids."""
    cutoff = (now or utcnow()) - STALE_AFTER
    stale = session.scalars(
        select(Sweep).where(Sweep.status == "running", Sweep.heartbeat_at < cutoff)
    )
    reaped = []
    for sweep in stale:
        sweep.status = "interrupted"
        sweep.finished_at = sweep.heartbeat_at
        sweep.errors = [*(sweep.errors or []), "the sweeping process stopped without finishing"]
        reaped.append(sweep.id)
    if reaped:
        logger.warning("marked sweeps %s interrupted: their process stopped", reaped)
    return reaped


def running_sweep(session: Session, site_id: int) -> int | None:
    """Return the id of the site's running sweep, or None."""
    reap_stale(session)
    return session.scalar(
        select(Sweep.id).where(Sweep.site_id == site_id, Sweep.status == "running").limit(1)
    )
