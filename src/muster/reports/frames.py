"""Reading the CMDB into pandas frames: one query per table, nothing computed here.

The report functions take these frames and nothing else, so they can be
tested and benchmarked on frames built by hand. Columns, one frame each:

- ``sites``: id, code, name
- ``assets``: id, site_id (nullable), kind, status, hostname, vendor, model,
  serial, os_name, cpu_cores, memory_bytes, firmware_date (day, naive),
  first_seen, last_seen (UTC)
- ``requirements``: id, site_id, kind, label, count, min_memory_bytes,
  min_cpu_cores, os_family, max_age_years, template_id
- ``status_changes``: asset_id, old, new, source, observed_at (UTC): the
  ``status`` rows of the Change history, oldest first
- ``tickets``: id, system, key, url, status, asset_id, site_id, kind,
  requirement_id (each link names an asset, a requirement, or a site and kind)

Integer columns that may be empty are pandas' nullable ``Int64``.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Executable, func, select
from sqlalchemy.orm import Session

from muster.cmdb.models import Asset, Change, Observation, Requirement, Site, TicketLink

SITE_COLUMNS = ("id", "code", "name")
ASSET_COLUMNS = (
    "id",
    "site_id",
    "kind",
    "status",
    "hostname",
    "vendor",
    "model",
    "serial",
    "os_name",
    "cpu_cores",
    "memory_bytes",
    "firmware_date",
    "first_seen",
    "last_seen",
)
REQUIREMENT_COLUMNS = (
    "id",
    "site_id",
    "kind",
    "label",
    "count",
    "min_memory_bytes",
    "min_cpu_cores",
    "os_family",
    "max_age_years",
    "template_id",
)
STATUS_CHANGE_COLUMNS = ("asset_id", "old", "new", "source", "observed_at")
TICKET_COLUMNS = (
    "id",
    "system",
    "key",
    "url",
    "status",
    "asset_id",
    "site_id",
    "kind",
    "requirement_id",
)
_NULLABLE_INTS = {
    "site_id",
    "cpu_cores",
    "memory_bytes",
    "min_memory_bytes",
    "min_cpu_cores",
    "max_age_years",
    "template_id",
    "asset_id",
    "requirement_id",
}
_TIMES = {"first_seen", "last_seen", "observed_at"}


@dataclass(frozen=True)
class CmdbFrames:
    """The CMDB's tables as the reports read them."""

    sites: pd.DataFrame
    assets: pd.DataFrame
    requirements: pd.DataFrame
    status_changes: pd.DataFrame
    tickets: pd.DataFrame


def frame(rows: list[Any], columns: tuple[str, ...]) -> pd.DataFrame:
    """Build a frame with the loader's column types from rows or tuples of values."""
    data = pd.DataFrame.from_records(rows, columns=list(columns))
    for column in columns:
        if column in _NULLABLE_INTS:
            data[column] = data[column].astype("Int64")
        elif column in _TIMES:
            data[column] = pd.to_datetime(data[column], utc=True)
        elif column == "firmware_date":
            data[column] = pd.to_datetime(data[column])
        elif column in ("id", "count"):
            data[column] = data[column].astype("int64")
    return data


def _rows(session: Session, query: Executable) -> list[Any]:
    return list(session.execute(query).all())


def load_frames(session: Session) -> CmdbFrames:
    """Read sites, assets, requirements, status history and ticket links, one query each."""
    assets = _rows(session, select(*(getattr(Asset, c) for c in ASSET_COLUMNS)).order_by(Asset.id))
    status_query = (
        select(Change.asset_id, Change.old_value, Change.new_value, Change.source)
        .add_columns(Change.observed_at)
        .where(Change.field == "status")
        .order_by(Change.observed_at, Change.id)
    )
    return CmdbFrames(
        sites=frame(_rows(session, select(Site.id, Site.code, Site.name)), SITE_COLUMNS),
        assets=frame(assets, ASSET_COLUMNS),
        requirements=frame(
            _rows(
                session,
                select(*(getattr(Requirement, c) for c in REQUIREMENT_COLUMNS)).order_by(
                    Requirement.id
                ),
            ),
            REQUIREMENT_COLUMNS,
        ),
        status_changes=frame(_rows(session, status_query), STATUS_CHANGE_COLUMNS),
        tickets=frame(
            _rows(
                session,
                select(*(getattr(TicketLink, c) for c in TICKET_COLUMNS)).order_by(TicketLink.id),
            ),
            TICKET_COLUMNS,
        ),
    )


def load_first_sightings_after(session: Session, moment: datetime) -> pd.DataFrame:
    """Per asset, its first Observation after ``moment``: columns asset_id, first_after."""
    query = (
        select(Observation.asset_id, func.min(Observation.observed_at))
        .where(Observation.observed_at >= moment, Observation.asset_id.is_not(None))
        .group_by(Observation.asset_id)
    )
    rows = [(asset_id, _aware(when)) for asset_id, when in session.execute(query)]
    data = pd.DataFrame.from_records(rows, columns=["asset_id", "first_after"])
    data["asset_id"] = data["asset_id"].astype("int64")
    data["first_after"] = pd.to_datetime(data["first_after"], utc=True)
    return data


def _aware(value: Any) -> Any:
    # func.min() loses the column's type on SQLite, which then hands back text.
    if isinstance(value, str):
        return pd.Timestamp(value, tz="UTC")
    if isinstance(value, datetime) and value.tzinfo is None:
        return pd.Timestamp(value, tz="UTC")
    return value


def only_sites(frames: CmdbFrames, codes: list[str]) -> CmdbFrames:
    """The frames cut down to some sites: their assets, lines and tickets only."""
    sites = frames.sites.loc[frames.sites["code"].isin(codes)].reset_index(drop=True)
    keep = set(sites["id"])
    assets = frames.assets.loc[frames.assets["site_id"].isin(keep)].reset_index(drop=True)
    tickets = frames.tickets
    tickets = tickets.loc[tickets["site_id"].isin(keep) | tickets["asset_id"].isin(assets["id"])]
    changes = frames.status_changes
    return CmdbFrames(
        sites=sites,
        assets=assets,
        requirements=frames.requirements.loc[
            frames.requirements["site_id"].isin(keep)
        ].reset_index(drop=True),
        status_changes=changes.loc[changes["asset_id"].isin(assets["id"])].reset_index(drop=True),
        tickets=tickets.reset_index(drop=True),
    )
