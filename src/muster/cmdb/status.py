"""Asset status: evidence makes an asset missing or active, staff set the rest.

- *active*: seen within the missing-after window;
- *missing*: not seen for longer than that window (``mark_missing``); a later
  sighting brings it back (reconciliation does that and says so in history);
- *damaged*, *in_repair*, *retired*: set by staff; sightings do not undo them.
"""

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError
from muster.cmdb.models import Asset, Change, utcnow

logger = logging.getLogger(__name__)

DEFAULT_MISSING_AFTER = timedelta(days=7)


class Status(StrEnum):
    """Where an asset stands."""

    ACTIVE = "active"
    MISSING = "missing"
    DAMAGED = "damaged"
    IN_REPAIR = "in_repair"
    RETIRED = "retired"


STAFF_STATUSES = frozenset({Status.DAMAGED, Status.IN_REPAIR, Status.RETIRED})


def parse_status(text: str) -> Status:
    """Map a status as typed to a Status, or raise ConfigurationError listing the choices."""
    try:
        return Status(text.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError as exc:
        choices = ", ".join(s.value for s in Status)
        raise ConfigurationError(f"status {text!r} is not known: use one of {choices}") from exc


def set_status(
    session: Session, asset: Asset, status: Status, *, by: str = "staff", note: str | None = None
) -> bool:
    """Set an asset's status by hand, recording it in history; False when already so."""
    if asset.status == status.value:
        return False
    now = utcnow()
    session.add(
        Change(
            asset_id=asset.id,
            field="status",
            old_value=asset.status,
            new_value=status.value,
            source=by,
            observed_at=now,
            recorded_at=now,
            note=note,
        )
    )
    logger.info("asset #%d status %s -> %s by %s", asset.id, asset.status, status.value, by)
    asset.status = status.value
    return True


def mark_missing(
    session: Session, *, now: datetime | None = None, after: timedelta = DEFAULT_MISSING_AFTER
) -> list[int]:
    """Mark active assets not seen for longer than ``after`` as missing; return their ids."""
    now = now or utcnow()
    cutoff = now - after
    stale = session.scalars(
        select(Asset).where(Asset.status == Status.ACTIVE.value, Asset.last_seen < cutoff)
    )
    marked = []
    for asset in stale:
        session.add(
            Change(
                asset_id=asset.id,
                field="status",
                old_value=Status.ACTIVE.value,
                new_value=Status.MISSING.value,
                source="muster",
                observed_at=now,
                recorded_at=now,
                note=f"not seen since {asset.last_seen:%Y-%m-%d %H:%M} UTC",
            )
        )
        asset.status = Status.MISSING.value
        marked.append(asset.id)
    logger.info("marked %d assets missing (not seen since %s)", len(marked), cutoff)
    return marked
