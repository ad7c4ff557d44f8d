"""The outage view: what each site had the day before the outage, and what came back.

Given a baseline day (the day before the outage), each asset of a site is:

- *survived*: seen on or before the baseline day and seen again after it;
- *lost*: seen on or before the baseline day and not since (marked missing,
  still active but silent, or retired since);
- *new*: first seen after the baseline day;
- *damaged*: marked damaged or in repair, whenever it was seen.

Restoration over time replays the CMDB's history: at each day's end an
asset counts if it was seen after the baseline by then (its first
Observation after the baseline, else its first status change or attribute
change after it, else its last sighting), its status then (from the status
rows of the Change history) was active, and it was seen within the
freshness window. The gap report's allocation is run on that picture, so
``restored_pct`` at a day means the same as in the gap report. Sightings
between the first after the baseline and the last are not stored, so an
asset is taken to have been present between them unless its status history
says otherwise.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from muster.cmdb.sources import Source
from muster.reports.allocation import LineFiller
from muster.reports.frames import CmdbFrames
from muster.reports.gaps import DEFAULT_FRESH_WITHIN

OUTCOMES = ("survived", "lost", "new", "damaged")
SITE_COLUMNS = ("site", "site_name", "before", *OUTCOMES, "survived_pct")
MAX_POINTS = 120


@dataclass(frozen=True)
class OutageReport:
    """Per site counts, per asset outcomes, and restoration per day since the baseline."""

    baseline: date
    as_of: pd.Timestamp
    sites: pd.DataFrame
    assets: pd.DataFrame
    timeline: pd.DataFrame


def baseline_end(baseline: date) -> pd.Timestamp:
    """The first moment after the baseline day, in UTC."""
    return pd.Timestamp(datetime.combine(baseline + timedelta(days=1), time()), tz="UTC")


def outage_view(
    frames: CmdbFrames,
    first_sightings: pd.DataFrame,
    *,
    baseline: date,
    as_of: pd.Timestamp,
    fresh_within: timedelta = DEFAULT_FRESH_WITHIN,
) -> OutageReport:
    """Compute the outage view; ``first_sightings`` holds asset_id, first_after (baseline end)."""
    cut = baseline_end(baseline)
    assets = frames.assets
    before = (assets["first_seen"] < cut).to_numpy()
    after = (assets["last_seen"] >= cut).to_numpy()
    status = assets["status"].to_numpy()
    broken = np.isin(status, ["damaged", "in_repair"])
    outcome = np.select(
        [broken, before & after & (status != "retired"), before, status != "retired"],
        ["damaged", "survived", "lost", "new"],
        default="",
    )  # fmt: skip
    codes = frames.sites.set_index("id")["code"]
    per_asset = pd.DataFrame(
        {
            "asset_id": assets["id"].to_numpy(),
            "site": assets["site_id"].map(codes).to_numpy(),
            "kind": assets["kind"].to_numpy(),
            "hostname": assets["hostname"].to_numpy(),
            "outcome": outcome,
        }
    )
    per_asset = per_asset.loc[per_asset["outcome"] != ""].reset_index(drop=True)
    timeline = restoration(
        frames, first_sightings, cut=cut, as_of=as_of, fresh_within=fresh_within
    )
    return OutageReport(
        baseline=baseline,
        as_of=as_of,
        sites=_site_counts(frames.sites, per_asset, before, assets),
        assets=per_asset,
        timeline=timeline,
    )


def _site_counts(
    sites: pd.DataFrame, per_asset: pd.DataFrame, before: np.ndarray, assets: pd.DataFrame
) -> pd.DataFrame:
    had = pd.Series(assets.loc[before, "site_id"]).map(sites.set_index("id")["code"])
    table = sites[["code", "name"]].rename(columns={"code": "site", "name": "site_name"})
    table["before"] = table["site"].map(had.value_counts()).fillna(0).astype("int64")
    for outcome in OUTCOMES:
        sites_of = per_asset.loc[per_asset["outcome"] == outcome, "site"]
        table[outcome] = table["site"].map(sites_of.value_counts()).fillna(0).astype("int64")
    share = table["survived"] / table["before"].where(table["before"] > 0)
    table["survived_pct"] = (share * 100).round(1)
    return table.sort_values("site")[list(SITE_COLUMNS)].reset_index(drop=True)


def sample_times(cut: pd.Timestamp, as_of: pd.Timestamp) -> list[pd.Timestamp]:
    """The baseline's end, each day's end after it, and ``as_of`` (at most MAX_POINTS)."""
    if as_of <= cut:
        return [as_of]
    days = pd.date_range(cut, as_of, freq="D", inclusive="left").tolist()
    if len(days) > MAX_POINTS:
        keep = np.linspace(0, len(days) - 1, MAX_POINTS).round().astype(int)
        days = [days[i] for i in sorted(set(keep))]
    return [*days[1:], as_of] if len(days) > 1 else [as_of]


def restoration(
    frames: CmdbFrames,
    first_sightings: pd.DataFrame,
    *,
    cut: pd.Timestamp,
    as_of: pd.Timestamp,
    fresh_within: timedelta,
) -> pd.DataFrame:
    """Per site and sample time: assets up, and % restored against the requirement lines.

    Specs are judged as of ``as_of`` at every sample (a machine's age barely
    moves within an outage); only which assets are up changes.
    """
    assets = frames.assets
    sites = pd.Index(frames.sites["id"])
    site_ids = sites.to_numpy()
    filler = LineFiller(assets, frames.requirements, as_of)
    line_site = sites.get_indexer(pd.Index(filler.lines["site_id"].astype("int64")))
    needed = np.bincount(line_site, weights=filler.lines["count"], minlength=len(site_ids))
    asset_site = sites.get_indexer(pd.Index(assets["site_id"].fillna(-1).astype("int64")))
    has_site = asset_site >= 0
    first_seen, last_seen = assets["first_seen"], assets["last_seen"]
    back = _first_back(frames, first_sightings, cut)
    replay = _StatusReplay(frames)
    columns: dict[str, list[np.ndarray]] = {"site": [], "at": [], "assets_up": [], "usable": []}
    for moment in sample_times(cut, as_of):
        up = (
            (first_seen <= moment).to_numpy()
            & (back <= moment).to_numpy()
            & (replay.at(moment) == "active")
            & (last_seen >= moment - fresh_within).to_numpy()
        )
        usable = np.bincount(line_site, weights=filler.usable_per_line(up),
                             minlength=len(site_ids))  # fmt: skip
        columns["site"].append(frames.sites["code"].to_numpy())
        columns["at"].append(np.full(len(site_ids), moment, dtype=object))
        columns["assets_up"].append(
            np.bincount(asset_site[has_site & up], minlength=len(site_ids))
        )
        columns["usable"].append(usable.astype("int64"))
    return _timeline(columns, needed)


def _timeline(columns: dict[str, list[np.ndarray]], needed: np.ndarray) -> pd.DataFrame:
    table = pd.DataFrame(
        {name: np.concatenate(parts) if parts else [] for name, parts in columns.items()}
    )
    table["at"] = pd.to_datetime(table["at"], utc=True)
    table["assets_up"] = table["assets_up"].astype("int64")
    table["needed"] = np.tile(needed, len(columns["site"])).astype("int64")
    ratio = table["usable"] / table["needed"].where(table["needed"] > 0)
    table["restored_pct"] = (ratio * 100).round(1)
    return table[["site", "at", "assets_up", "needed", "usable", "restored_pct"]]


def _first_back(frames: CmdbFrames, first_sightings: pd.DataFrame, cut: pd.Timestamp) -> pd.Series:
    """When each asset was first known to be there after the baseline (NaT: not yet)."""
    assets = frames.assets.set_index("id")
    changes = frames.status_changes
    # A status change from a source is a sighting; staff and Muster's own marks are not.
    sighted = changes["source"].isin([s.value for s in Source]) & (changes["observed_at"] >= cut)
    later = changes.loc[sighted].groupby("asset_id")["observed_at"].min()
    observed = first_sightings.set_index("asset_id")["first_after"]
    fallback = assets["last_seen"].where(assets["last_seen"] >= cut)
    new = assets["first_seen"].where(assets["first_seen"] >= cut)
    candidates = pd.concat(
        [observed.reindex(assets.index), later.reindex(assets.index), fallback, new], axis=1
    )
    # With no assets or no dates pandas forgets the time zone: say it again.
    return pd.to_datetime(candidates.min(axis=1), utc=True).reset_index(drop=True)


class _StatusReplay:
    """Each asset's status at any moment, replayed from the status rows of its history."""

    def __init__(self, frames: CmdbFrames) -> None:
        assets = frames.assets
        ids = assets["id"].to_numpy()
        order = np.argsort(ids)
        changes = frames.status_changes
        known = changes["asset_id"].isin(ids).to_numpy()
        position = order[np.searchsorted(ids[order], changes["asset_id"].to_numpy()[known])]
        when = changes["observed_at"].to_numpy()[known]
        by_asset = np.lexsort((np.arange(len(position)), when, position))
        self._position = position[by_asset]
        self._when = pd.to_datetime(when[by_asset], utc=True)
        self._new = changes["new"].astype(str).to_numpy()[known][by_asset]
        # Before its first change an asset had that change's old status; with none, today's.
        self._initial = assets["status"].astype(str).to_numpy().copy()
        firsts = np.r_[True, self._position[1:] != self._position[:-1]] if len(position) else []
        olds = changes["old"].astype(str).to_numpy()[known][by_asset]
        self._initial[self._position[firsts]] = olds[firsts]

    def at(self, moment: pd.Timestamp) -> np.ndarray:
        """Statuses at ``moment``, in the assets frame's order."""
        status = self._initial.copy()
        done = np.flatnonzero(self._when <= moment)
        if done.size:
            position = self._position[done]
            last = done[np.r_[position[1:] != position[:-1], True]]
            status[self._position[last]] = self._new[last]
        return status
