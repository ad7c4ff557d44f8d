"""``/api/v1/reports``: the gap report and the outage view as JSON, as the dashboard shows them."""

from datetime import date, datetime, timedelta
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from muster.api.deps import Reader, ReadSession
from muster.api.problems import responses
from muster.cmdb.errors import ConfigurationError
from muster.cmdb.sites import get_site
from muster.reports.frames import CmdbFrames, load_first_sightings_after, load_frames, only_sites
from muster.reports.gaps import GapReport, gap_report
from muster.reports.outage import baseline_end, outage_view
from muster.reports.records import gaps_json, outage_json

router = APIRouter(prefix="/reports", tags=["reports"])

# pandas' timestamps end in 2262; a report needs no moment outside these years.
EARLIEST, LATEST = 1970, 2200

AsOf = Annotated[
    datetime | None,
    Query(description="Report as of this moment (ISO 8601, UTC without a zone); default now."),
]
FreshWithin = Annotated[
    int, Query(ge=1, le=365, description="Days within which an asset must have been seen.")
]
Sites = Annotated[list[str] | None, Query(max_length=100, description="Only these site codes.")]


def moment(as_of: datetime | None) -> pd.Timestamp:
    """The report's moment in UTC; refuse one pandas cannot hold."""
    if as_of is None:
        return pd.Timestamp.now(tz="UTC")
    if not EARLIEST <= as_of.year <= LATEST:
        raise ConfigurationError(
            f"as_of {as_of.isoformat()!r} is out of range: give a moment in {EARLIEST}..{LATEST}"
        )
    stamp = pd.Timestamp(as_of)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def read_frames(session: Session, sites: list[str] | None) -> CmdbFrames:
    """The CMDB's frames, cut down to some sites when asked."""
    codes = [get_site(session, code).code for code in sites or []]
    frames = load_frames(session)
    return only_sites(frames, codes) if codes else frames


def current_gaps(
    session: Session, as_of: datetime | None, fresh_within: int, sites: list[str] | None = None
) -> tuple[GapReport, CmdbFrames]:
    """The gap report the dashboard and the JSON route both show."""
    frames = read_frames(session, sites)
    report = gap_report(frames, as_of=moment(as_of), fresh_within=timedelta(days=fresh_within))
    return report, frames


@router.get("/gaps", responses=responses(401, 403, 404, 422))
def read_gaps(
    caller: Reader,
    session: ReadSession,
    as_of: AsOf = None,
    fresh_within_days: FreshWithin = 7,
    site: Sites = None,
) -> dict[str, Any]:
    """Per site and requirement line: needed, usable, unusable, missing, shortfall, surplus.

    Each line names the assets behind its counts and its tickets; ``district``
    and ``sites`` hold the totals.
    """
    report, _frames = current_gaps(session, as_of, fresh_within_days, site)
    return gaps_json(report)


@router.get("/outage", responses=responses(401, 403, 404, 422))
def read_outage(
    caller: Reader,
    session: ReadSession,
    baseline: Annotated[date, Query(description="The day before the outage.")],
    as_of: AsOf = None,
    fresh_within_days: FreshWithin = 7,
    site: Sites = None,
) -> dict[str, Any]:
    """Per site: survived, lost, new and damaged since the baseline; % restored by day."""
    if not EARLIEST <= baseline.year <= LATEST:
        raise ConfigurationError(f"baseline {baseline.isoformat()!r} is out of range")
    frames = read_frames(session, site)
    end = baseline_end(baseline)
    sightings = load_first_sightings_after(session, end.to_pydatetime())
    report = outage_view(frames, sightings, baseline=baseline, as_of=moment(as_of),
                         fresh_within=timedelta(days=fresh_within_days))  # fmt: skip
    return outage_json(report)
