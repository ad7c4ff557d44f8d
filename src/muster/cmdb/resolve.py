"""Resolving conflicts by hand: merge the two assets of a conflict, or keep them apart.

A merge follows the rules ingest merges by: the older asset survives; the
other's identifiers move to it (a value they both carried is one row again,
and usable once no third machine holds it); each attribute and child list
keeps the value of the more trusted source (location-like fields: the
fresher); history, Observations, conflicts and ticket links move with it.
Keeping two assets apart marks the conflict resolved and leaves the shared
value unusable for identity, since it is really on both machines. Either way
both assets' history says who decided what, and why.
"""

import logging
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from muster.cmdb.errors import NotFoundError, StateConflictError
from muster.cmdb.ingest import lock_for_ingest
from muster.cmdb.models import (
    Asset,
    AssetSource,
    Change,
    Conflict,
    Disk,
    Filesystem,
    Identifier,
    Interface,
    Observation,
    Service,
    Software,
    TicketLink,
    utcnow,
)
from muster.cmdb.reconcile import CHILD_FIELDS, jsonable, outranks
from muster.cmdb.status import STAFF_STATUSES

logger = logging.getLogger(__name__)

RESOLVED = "resolved"
_CHILD_MODELS: dict[str, Any] = {
    "interfaces": Interface,
    "services": Service,
    "software": Software,
    "disks": Disk,
    "filesystems": Filesystem,
}
# Provenance keys that are not Asset columns of the same name.
_NOT_COLUMNS = frozenset(CHILD_FIELDS)


class Resolution(BaseModel):
    """What resolving a conflict did."""

    conflict_id: int
    action: str
    asset_id: int
    merged_asset_id: int | None
    note: str | None


def _open_conflict(session: Session, conflict_id: int) -> Conflict:
    conflict = session.get(Conflict, conflict_id)
    if conflict is None:
        raise NotFoundError(f"conflict {conflict_id} does not exist")
    if conflict.status != "open":
        raise StateConflictError(
            f"conflict {conflict_id} is already {conflict.status}: {conflict.resolution}"
        )
    if conflict.asset_id is None or conflict.other_asset_id is None:
        raise StateConflictError(
            f"conflict {conflict_id} no longer names two assets: one of them was removed"
        )
    return conflict


def keep_apart(
    session: Session, conflict_id: int, *, note: str | None = None, by: str = "staff"
) -> Resolution:
    """Mark a conflict resolved with both assets kept as separate machines."""
    lock_for_ingest(session)
    conflict = _open_conflict(session, conflict_id)
    now = utcnow()
    text = f"kept #{conflict.asset_id} and #{conflict.other_asset_id} apart" + (
        f": {note}" if note else ""
    )
    for asset_id, other in (
        (conflict.asset_id, conflict.other_asset_id),
        (conflict.other_asset_id, conflict.asset_id),
    ):
        assert asset_id is not None
        _history(session, asset_id, "conflict", None, f"kept apart from #{other}", by, now, text)
    conflict.status = RESOLVED
    conflict.resolved_at = now
    conflict.resolution = text
    logger.info("conflict %d: %s (by %s)", conflict_id, text, by)
    assert conflict.asset_id is not None
    return Resolution(
        conflict_id=conflict_id,
        action="keep_apart",
        asset_id=conflict.asset_id,
        merged_asset_id=None,
        note=note,
    )


def merge_conflict(
    session: Session, conflict_id: int, *, note: str | None = None, by: str = "staff"
) -> Resolution:
    """Resolve a conflict by merging its two assets into the older one."""
    lock_for_ingest(session)
    conflict = _open_conflict(session, conflict_id)
    assert conflict.asset_id is not None
    assert conflict.other_asset_id is not None
    survivor_id, loser_id = merge_assets(
        session, conflict.asset_id, conflict.other_asset_id, note=note, by=by
    )
    return Resolution(
        conflict_id=conflict_id,
        action="merge",
        asset_id=survivor_id,
        merged_asset_id=loser_id,
        note=note,
    )


def merge_assets(
    session: Session, first_id: int, second_id: int, *, note: str | None = None, by: str = "staff"
) -> tuple[int, int]:
    """Merge two assets into the older one; return (survivor id, merged-away id)."""
    lock_for_ingest(session)
    if first_id == second_id:
        raise StateConflictError(f"asset #{first_id} cannot be merged into itself")
    pair = [session.get(Asset, first_id), session.get(Asset, second_id)]
    for asset_id, asset in zip((first_id, second_id), pair, strict=True):
        if asset is None:
            raise NotFoundError(f"asset {asset_id} does not exist")
    found = [asset for asset in pair if asset is not None]
    survivor, loser = sorted(found, key=lambda asset: (asset.first_seen, asset.id))
    now = utcnow()
    text = f"merged #{loser.id} into #{survivor.id} by hand" + (f": {note}" if note else "")

    _merge_identifiers(session, survivor, loser)
    _merge_attributes(session, survivor, loser, by, now)
    _merge_sightings(session, survivor, loser)
    _repoint(session, survivor.id, loser.id)
    _history(session, survivor.id, "merged", f"#{loser.id}", f"#{survivor.id}", by, now, text)
    _close_conflicts_between(session, survivor.id, now, text)
    session.flush()
    session.delete(loser)
    session.flush()
    logger.info("%s (by %s)", text, by)
    return survivor.id, loser.id


def _merge_identifiers(session: Session, survivor: Asset, loser: Asset) -> None:
    mine = {(i.type, i.scope, i.value): i for i in survivor.identifiers}
    for identifier in list(loser.identifiers):
        key = (identifier.type, identifier.scope, identifier.value)
        existing = mine.get(key)
        if existing is None:
            identifier.asset_id = survivor.id
            mine[key] = identifier
            continue
        existing.first_seen = min(existing.first_seen, identifier.first_seen)
        existing.last_seen = max(existing.last_seen, identifier.last_seen)
        session.delete(identifier)
    session.flush()
    session.expire(loser, ["identifiers"])
    session.expire(survivor, ["identifiers"])
    # A value shared only by these two machines identifies the merged one again.
    for key, identifier in mine.items():
        if not identifier.shared:
            continue
        elsewhere = session.scalar(
            select(func.count(Identifier.id)).where(
                Identifier.type == key[0],
                Identifier.scope == key[1],
                Identifier.value == key[2],
                Identifier.asset_id != survivor.id,
            )
        )
        if not elsewhere:
            identifier.usable, identifier.shared, identifier.note = True, False, None
    session.flush()


def _merge_attributes(
    session: Session, survivor: Asset, loser: Asset, by: str, now: datetime
) -> None:
    provenance = dict(survivor.provenance or {})
    for name, entry in (loser.provenance or {}).items():
        if not outranks(name, entry, provenance.get(name)):
            continue
        provenance[name] = entry
        if name in _NOT_COLUMNS:
            model = _CHILD_MODELS[name]
            session.execute(delete(model).where(model.asset_id == survivor.id))
            session.execute(
                update(model).where(model.asset_id == loser.id).values(asset_id=survivor.id)
            )
            continue
        old, new = getattr(survivor, name), getattr(loser, name)
        if old != new:
            setattr(survivor, name, new)
            _history(session, survivor.id, name, jsonable(old), jsonable(new), by, now, None)
    survivor.provenance = provenance
    statuses = (survivor.status or "active", loser.status or "active")
    staff = [status for status in statuses if status in STAFF_STATUSES]
    survivor.status = staff[0] if staff else ("active" if "active" in statuses else statuses[0])


def _merge_sightings(session: Session, survivor: Asset, loser: Asset) -> None:
    survivor.first_seen = min(survivor.first_seen, loser.first_seen)
    survivor.last_seen = max(survivor.last_seen, loser.last_seen)
    mine = {s.source: s for s in survivor.sources}
    for seen in list(loser.sources):
        existing = mine.get(seen.source)
        if existing is None:
            session.add(
                AssetSource(
                    asset_id=survivor.id,
                    source=seen.source,
                    first_seen=seen.first_seen,
                    last_seen=seen.last_seen,
                )
            )
        else:
            existing.first_seen = min(existing.first_seen, seen.first_seen)
            existing.last_seen = max(existing.last_seen, seen.last_seen)
        session.delete(seen)
    session.flush()
    session.expire(loser, ["sources"])


def _repoint(session: Session, survivor_id: int, loser_id: int) -> None:
    session.flush()
    for model, column in (
        (Change, Change.asset_id),
        (Observation, Observation.asset_id),
        (Conflict, Conflict.asset_id),
        (Conflict, Conflict.other_asset_id),
        (TicketLink, TicketLink.asset_id),
    ):
        session.execute(update(model).where(column == loser_id).values({column.key: survivor_id}))
    session.expire_all()


def _close_conflicts_between(session: Session, asset_id: int, now: datetime, text: str) -> None:
    session.execute(
        update(Conflict)
        .where(
            Conflict.status == "open",
            Conflict.asset_id == asset_id,
            Conflict.other_asset_id == asset_id,
        )
        .values(status=RESOLVED, resolved_at=now, resolution=text)
    )


def _history(
    session: Session,
    asset_id: int,
    name: str,
    old: Any,
    new: Any,
    by: str,
    now: datetime,
    note: str | None,
) -> None:
    session.add(
        Change(
            asset_id=asset_id,
            field=name,
            old_value=old,
            new_value=new,
            source=by,
            observed_at=now,
            recorded_at=now,
            note=note,
        )
    )
