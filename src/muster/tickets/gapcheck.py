"""Checking gap lines for the webhook: which opened and which closed since the last check."""

import logging
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from muster.cmdb.events import GapLineState, record_gap_transitions
from muster.cmdb.models import OutboxEvent
from muster.cmdb.status import DEFAULT_MISSING_AFTER, mark_missing
from muster.reports.frames import load_frames
from muster.reports.gaps import GapReport, gap_report
from muster.reports.records import records

logger = logging.getLogger(__name__)


def line_states(report: GapReport) -> list[GapLineState]:
    """Each gap line with the data its webhook event carries (counts and tickets)."""
    tickets = report.tickets.groupby("requirement_id")
    states = []
    for line in records(report.lines):
        requirement_id = int(line["requirement_id"])
        line["tickets"] = (
            records(tickets.get_group(requirement_id).drop(columns=["requirement_id"]))
            if requirement_id in tickets.groups
            else []
        )
        states.append(
            GapLineState(requirement_id=requirement_id, shortfall=line["shortfall"], line=line)
        )
    return states


def check(
    session: Session,
    *,
    now: datetime,
    missing_after: timedelta = DEFAULT_MISSING_AFTER,
    fresh_within: timedelta = DEFAULT_MISSING_AFTER,
) -> tuple[list[int], list[OutboxEvent]]:
    """Mark stale assets missing, then record the gap lines that opened or closed.

    Returns the ids marked missing and the gap events recorded.
    """
    missing = mark_missing(session, now=now, after=missing_after)
    session.flush()
    report = gap_report(load_frames(session), as_of=pd.Timestamp(now), fresh_within=fresh_within)
    events = record_gap_transitions(session, line_states(report), at=now)
    logger.info("check: %d assets missing, %d gap lines changed", len(missing), len(events))
    return missing, events
