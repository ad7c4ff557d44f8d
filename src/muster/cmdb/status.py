"""Asset status: evidence makes an asset missing or active, staff set the rest.

- *active*: seen within the missing-after window;
- *missing*: not seen for longer than that window (``mark_missing``); a later
  sighting brings it back (reconciliation does that and says so in history);
- *damaged*, *in_repair*, *retired*: set by staff; sightings do not undo them.
"""

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError
from muster.cmdb.events import ASSET_MISSING, record_event
from muster.cmdb.models import Asset, Change, utcnow

if TYPE_CHECKING:
    from muster.cmdb.tickets import TicketLinkView

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
    session: Session,
    asset: Asset,
    status: Status,
    *,
    by: str = "staff",
    note: str | None = None,
    at: datetime | None = None,
) -> bool:
    """Set an asset's status by hand, recording it in history; False when already so.

    ``at`` is when it became so (a machine found damaged yesterday), now by default.
    """
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
            observed_at=at or now,
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
    """Mark active assets not seen for longer than ``after`` as missing; return their ids.

    Each one also gets an ``asset.missing`` event in the webhook's outbox.
    """
    now = now or utcnow()
    cutoff = now - after
    stale = session.scalars(
        select(Asset).where(Asset.status == Status.ACTIVE.value, Asset.last_seen < cutoff)
    )
    marked: list[Asset] = []
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
        marked.append(asset)
    # Imported here: tickets reads sites, whose reconciliation imports this module.
    from muster.cmdb.tickets import tickets_of_assets

    tickets = tickets_of_assets(session, [asset.id for asset in marked])
    for asset in marked:
        record_event(session, ASSET_MISSING, _missing_data(asset, tickets), at=now)
    logger.info("marked %d assets missing (not seen since %s)", len(marked), cutoff)
    return [asset.id for asset in marked]


def _missing_data(asset: Asset, tickets: dict[int, list["TicketLinkView"]]) -> dict[str, object]:
    """The webhook's data for an asset gone missing: who it is, where, its tickets."""
    return {
        "asset_id": asset.id,
        "site": asset.site.code if asset.site else None,
        "kind": asset.kind,
        "hostname": asset.hostname,
        "serial": asset.serial,
        "vendor": asset.vendor,
        "model": asset.model,
        "last_seen": asset.last_seen.isoformat(),
        "tickets": [ticket.brief() for ticket in tickets.get(asset.id, [])],
    }
