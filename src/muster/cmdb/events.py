"""Events for the webhook, kept in an outbox in the CMDB until delivered.

An event is written in the same transaction as what caused it (an asset
marked missing, a gap line found open or closed), so none is lost when the
receiver is down or Muster stops; delivery reads the outbox later and
retries with growing delays. Types:

- ``gap_line.opened``: a requirement line's shortfall went from 0 (or never
  checked) to more than 0;
- ``gap_line.closed``: its shortfall went back to 0;
- ``asset.missing``: an asset was not seen for longer than the missing-after window.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from muster.cmdb.models import GapState, OutboxEvent, Requirement, utcnow

logger = logging.getLogger(__name__)

GAP_OPENED = "gap_line.opened"
GAP_CLOSED = "gap_line.closed"
ASSET_MISSING = "asset.missing"


class GapLineState(BaseModel):
    """A gap line as the last check found it; ``line`` is the payload's data."""

    requirement_id: int
    shortfall: int
    line: dict[str, Any]


def record_event(
    session: Session, event_type: str, data: dict[str, Any], *, at: datetime | None = None
) -> OutboxEvent:
    """Put an event in the outbox; it is sent by the next delivery."""
    when = at or utcnow()
    event = OutboxEvent(
        type=event_type,
        payload={"type": event_type, "occurred_at": when.isoformat(), "data": data},
        created_at=when,
        next_attempt_at=when,
    )
    session.add(event)
    return event


def record_gap_transitions(
    session: Session, lines: Sequence[GapLineState], *, at: datetime | None = None
) -> list[OutboxEvent]:
    """Compare lines with their last known state; record an event for each that opened or closed.

    A line seen for the first time opens if it is short and records nothing otherwise.
    """
    when = at or utcnow()
    known = {state.requirement_id: state for state in session.scalars(select(GapState))}
    existing = set(session.scalars(select(Requirement.id)))
    events = []
    for line in lines:
        if line.requirement_id not in existing:
            continue
        is_open = line.shortfall > 0
        state = known.get(line.requirement_id)
        if state is None:
            session.add(GapState(requirement_id=line.requirement_id, open=is_open,
                                 shortfall=line.shortfall, changed_at=when))  # fmt: skip
            if is_open:
                events.append(record_event(session, GAP_OPENED, line.line, at=when))
            continue
        if state.open != is_open:
            event_type = GAP_OPENED if is_open else GAP_CLOSED
            events.append(record_event(session, event_type, line.line, at=when))
            state.open, state.changed_at = is_open, when
        state.shortfall = line.shortfall
    session.flush()
    logger.info("gap check: %d lines, %d opened or closed", len(lines), len(events))
    return events


def due_events(session: Session, *, now: datetime, limit: int = 100) -> list[OutboxEvent]:
    """Events not yet delivered nor given up on, whose next attempt is due, oldest first."""
    query = (
        select(OutboxEvent)
        .where(
            OutboxEvent.delivered_at.is_(None),
            OutboxEvent.failed.is_(False),
            OutboxEvent.next_attempt_at <= now,
        )
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def mark_delivered(event: OutboxEvent, *, now: datetime, attempts: int = 1) -> None:
    """Record a delivery the receiver accepted after ``attempts`` tries in this run."""
    event.attempts += attempts
    event.delivered_at = now
    event.last_error = None


def mark_attempt_failed(
    event: OutboxEvent,
    error: str,
    *,
    now: datetime,
    retry_in: timedelta,
    max_attempts: int,
    attempts: int = 1,
) -> None:
    """Record ``attempts`` failed tries; give up after ``max_attempts`` in all."""
    event.attempts += attempts
    event.last_error = error[:1000]
    event.next_attempt_at = now + retry_in
    if event.attempts >= max_attempts:
        event.failed = True
        logger.error("giving up on event #%d (%s) after %d attempts: %s",
                     event.id, event.type, event.attempts, error)  # fmt: skip


def prune_delivered(session: Session, *, older_than: datetime) -> int:
    """Remove events delivered before a moment; returns how many went."""
    result = session.execute(delete(OutboxEvent).where(OutboxEvent.delivered_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)


def list_events(session: Session, *, pending_only: bool = False) -> list[OutboxEvent]:
    """Events in the outbox, oldest first."""
    query = select(OutboxEvent).order_by(OutboxEvent.id)
    if pending_only:
        query = query.where(OutboxEvent.delivered_at.is_(None), OutboxEvent.failed.is_(False))
    return list(session.scalars(query))
