"""The gap report: per site and requirement line, what is needed against what works.

Per line: ``needed`` (the line's count); ``usable`` (active, meets the spec,
seen within the freshness window, counted up to ``needed``); ``unusable``
(present but not usable: ``damaged``, ``in_repair``, ``below_spec``, the last
including assets whose spec is unknown); ``missing`` (marked missing, or
active but not seen within the window); ``shortfall`` (needed - usable, at
least 0); ``surplus`` (usable beyond what the lines need); ``restored_pct``
(usable / needed). Each asset counts on one line (see ``allocation``); the
``allocation`` frame names the asset behind every count. Retired assets
count nowhere. Assets of unknown kind, and assets of a kind their site has
no line for (or with no site), are listed apart. A ticket shows on a line
when it is linked to the line's requirement, to its site and kind, or to its
whole site.
"""

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from muster.cmdb.requirements import describe_spec
from muster.cmdb.status import DEFAULT_MISSING_AFTER
from muster.reports.allocation import allocate
from muster.reports.frames import CmdbFrames
from muster.reports.spec import SPEC_COLUMNS

DEFAULT_FRESH_WITHIN = DEFAULT_MISSING_AFTER
COUNT_COLUMNS = (
    "needed",
    "usable",
    "unusable",
    "damaged",
    "in_repair",
    "below_spec",
    "missing",
    "shortfall",
    "surplus",
)
LINE_COLUMNS = (
    "requirement_id",
    "site",
    "site_name",
    "kind",
    "label",
    "spec",
    *COUNT_COLUMNS,
    "restored_pct",
)
SITE_COLUMNS = (
    "site",
    "site_name",
    *COUNT_COLUMNS,
    "restored_pct",
    "unknown_kind",
    "unrequired",
)
ASSET_COLUMNS = ("asset_id", "site", "kind", "status", "hostname", "vendor", "model", "serial")


@dataclass(frozen=True)
class GapReport:
    """The gap report's frames; every count in ``lines`` is backed by ``allocation`` rows."""

    as_of: pd.Timestamp
    fresh_within: timedelta
    lines: pd.DataFrame
    sites: pd.DataFrame
    district: dict[str, float]
    allocation: pd.DataFrame
    unknown_kind: pd.DataFrame
    unrequired: pd.DataFrame
    tickets: pd.DataFrame
    asset_tickets: pd.DataFrame

    def assets_behind(self, requirement_id: int, category: str) -> list[int]:
        """The asset ids behind one count of one line (usable, unusable, missing, surplus)."""
        rows = self.allocation
        hit = (rows["requirement_id"] == requirement_id) & (
            (rows["category"] == category) | (rows["reason"] == category)
        )
        return sorted(int(i) for i in rows.loc[hit, "asset_id"])


def conditions(assets: pd.DataFrame, as_of: pd.Timestamp, fresh_within: timedelta) -> np.ndarray:
    """Each asset's condition: usable, not_seen, damaged, in_repair, missing or retired."""
    status = assets["status"].to_numpy()
    fresh = (assets["last_seen"] >= as_of - fresh_within).to_numpy()
    active = status == "active"
    return np.select(
        [active & fresh, active, status == "damaged", status == "in_repair", status == "missing"],
        ["usable", "not_seen", "damaged", "in_repair", "missing"],
        default="retired",
    )


def gap_report(
    frames: CmdbFrames,
    *,
    as_of: pd.Timestamp,
    fresh_within: timedelta = DEFAULT_FRESH_WITHIN,
) -> GapReport:
    """Compute the gap report from CMDB frames, as of a moment (UTC)."""
    assets = frames.assets.assign(condition=conditions(frames.assets, as_of, fresh_within))
    assets = assets.loc[assets["condition"] != "retired"]
    allocation = allocate(assets, frames.requirements, as_of)
    lines = _lines(frames, allocation)
    codes = frames.sites.set_index("id")["code"]
    unknown = _listed(assets.loc[assets["kind"] == "unknown"], codes)
    known = assets.loc[(assets["kind"] != "unknown") & ~assets["id"].isin(allocation["asset_id"])]
    unrequired = _listed(known, codes)
    unrequired["reason"] = np.where(
        unrequired["site"].isna(), "no site", "no requirement of this kind at the site"
    )
    sites = _site_totals(frames.sites, lines, unknown, unrequired)
    return GapReport(
        as_of=as_of,
        fresh_within=fresh_within,
        lines=lines,
        sites=sites,
        district=_district(sites),
        allocation=allocation,
        unknown_kind=unknown,
        unrequired=unrequired,
        tickets=_line_tickets(frames, lines),
        asset_tickets=_asset_tickets(frames),
    )


def _lines(frames: CmdbFrames, allocation: pd.DataFrame) -> pd.DataFrame:
    counts = allocation.groupby(["requirement_id", "reason"]).size().unstack(fill_value=0)
    counts = counts.reindex(
        columns=["usable", "surplus", "damaged", "in_repair", "below_spec", "spec_unknown",
                 "missing", "not_seen"],
        fill_value=0,
    )  # fmt: skip
    requirements = frames.requirements
    sites = frames.sites.set_index("id")
    lines = pd.DataFrame(
        {
            "requirement_id": requirements["id"].to_numpy(),
            "site": requirements["site_id"].map(sites["code"]).to_numpy(),
            "site_name": requirements["site_id"].map(sites["name"]).to_numpy(),
            "kind": requirements["kind"].to_numpy(),
            "label": requirements["label"].to_numpy(),
            "spec": spec_text(requirements).to_numpy(),
            "needed": requirements["count"].to_numpy(),
        }
    )
    found = counts.reindex(lines["requirement_id"], fill_value=0).reset_index(drop=True)
    lines["usable"] = found["usable"]
    lines["damaged"] = found["damaged"]
    lines["in_repair"] = found["in_repair"]
    lines["below_spec"] = found["below_spec"] + found["spec_unknown"]
    lines["unusable"] = lines["damaged"] + lines["in_repair"] + lines["below_spec"]
    lines["missing"] = found["missing"] + found["not_seen"]
    lines["shortfall"] = (lines["needed"] - lines["usable"]).clip(lower=0)
    lines["surplus"] = found["surplus"]
    lines["restored_pct"] = _percent(lines["usable"], lines["needed"])
    lines = lines.sort_values(["site", "kind", "label", "requirement_id"], na_position="first")
    return lines[list(LINE_COLUMNS)].reset_index(drop=True)


def spec_text(requirements: pd.DataFrame) -> pd.Series:
    """Each line's spec in words, as ``muster requirement list`` and the API say it."""
    columns = [
        requirements[name].astype(object).where(requirements[name].notna(), None)
        for name in SPEC_COLUMNS
    ]
    words = [describe_spec(*spec) for spec in zip(*columns, strict=True)]
    return pd.Series(words, index=requirements.index, dtype="string")


def _percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    ratio = part.astype("float64") / whole.astype("float64").where(whole > 0)
    return (ratio * 100).round(1)


def _listed(assets: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    listed = pd.DataFrame(
        {
            "asset_id": assets["id"].to_numpy(),
            "site": assets["site_id"].map(codes).to_numpy(),
            "kind": assets["kind"].to_numpy(),
            "status": assets["status"].to_numpy(),
            "hostname": assets["hostname"].to_numpy(),
            "vendor": assets["vendor"].to_numpy(),
            "model": assets["model"].to_numpy(),
            "serial": assets["serial"].to_numpy(),
        }
    )
    return listed.sort_values(["site", "asset_id"], na_position="last").reset_index(drop=True)


def _site_totals(
    sites: pd.DataFrame, lines: pd.DataFrame, unknown: pd.DataFrame, unrequired: pd.DataFrame
) -> pd.DataFrame:
    sums = lines.groupby("site")[list(COUNT_COLUMNS)].sum()
    totals = sites[["code", "name"]].rename(columns={"code": "site", "name": "site_name"})
    for column in COUNT_COLUMNS:
        totals[column] = totals["site"].map(sums[column]).fillna(0).astype("int64")
    totals["restored_pct"] = _percent(totals["usable"], totals["needed"])
    totals["unknown_kind"] = totals["site"].map(unknown["site"].value_counts()).fillna(0)
    totals["unrequired"] = totals["site"].map(unrequired["site"].value_counts()).fillna(0)
    totals[["unknown_kind", "unrequired"]] = totals[["unknown_kind", "unrequired"]].astype("int64")
    return totals.sort_values("site")[list(SITE_COLUMNS)].reset_index(drop=True)


def _district(sites: pd.DataFrame) -> dict[str, float]:
    totals = {column: int(sites[column].sum()) for column in COUNT_COLUMNS}
    needed = totals["needed"]
    restored = round(100 * totals["usable"] / needed, 1) if needed else float("nan")
    return {**totals, "restored_pct": restored, "sites": len(sites)}


def _line_tickets(frames: CmdbFrames, lines: pd.DataFrame) -> pd.DataFrame:
    """Tickets per line: linked to the requirement, to its site and kind, or to its site."""
    links = frames.tickets
    columns = ["requirement_id", "system", "key", "url", "status"]
    by_line = links.loc[links["requirement_id"].notna(), columns]
    loose = links.loc[links["requirement_id"].isna() & links["site_id"].notna()]
    keyed = frames.requirements[["id", "site_id", "kind"]].rename(columns={"id": "requirement_id"})
    by_kind = keyed.merge(
        loose.loc[loose["kind"].notna()].drop(columns=["requirement_id"]),
        on=["site_id", "kind"],
        how="inner",
    )[columns]
    by_site = keyed.drop(columns=["kind"]).merge(
        loose.loc[loose["kind"].isna()].drop(columns=["requirement_id", "kind"]),
        on="site_id",
        how="inner",
    )[columns]
    merged = pd.concat([by_line, by_kind, by_site], ignore_index=True)
    merged = merged.loc[merged["requirement_id"].isin(lines["requirement_id"])]
    merged["requirement_id"] = merged["requirement_id"].astype("int64")
    return merged.sort_values(["requirement_id", "system", "key"]).reset_index(drop=True)


def _asset_tickets(frames: CmdbFrames) -> pd.DataFrame:
    links = frames.tickets
    linked = links.loc[links["asset_id"].notna(), ["asset_id", "system", "key", "url", "status"]]
    return linked.astype({"asset_id": "int64"}).reset_index(drop=True)
