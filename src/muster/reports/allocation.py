"""Which requirement line each asset counts toward: every asset counts once.

A site may have several lines of one kind (30 workstations of any spec for
classrooms, 30 of at least 8 GiB for the lab). Assets are matched to the
lines of their own site and kind, vectorised over (asset, line) pairs:

1. Lines are taken strictest first: more filters first, then the higher
   minimum memory, the higher minimum cores, the lower maximum age, an OS
   family before none, the older line first. Each line takes usable assets
   that meet its spec, up to its count, preferring the assets that meet the
   fewest lines of the site and kind (then the lowest id), so that a machine
   able to fill a strict line is not used up by a loose one. For nested
   specs (the usual case) this fills as many lines as any assignment could.
2. A usable asset left over that meets some line is *surplus* on the
   strictest line it meets.
3. A usable asset that meets no line is *unusable* (``below_spec``, or
   ``spec_unknown`` when only a missing attribute failed) on the loosest line.
4. Damaged, in-repair and missing assets count on the strictest line they
   would meet if repaired or found, else on the loosest line.

Conditions an asset arrives with: ``usable`` (active and seen within the
freshness window), ``damaged``, ``in_repair``, ``missing`` (marked missing)
and ``not_seen`` (active, but not seen within the window).
"""

import itertools

import numpy as np
import pandas as pd

from muster.reports.spec import SPEC_COLUMNS, asset_spec, check_spec, line_spec

CONDITIONS = ("usable", "damaged", "in_repair", "missing", "not_seen")
ALLOCATION_COLUMNS = ("asset_id", "requirement_id", "category", "reason")
# Reasons, by code; the category each falls under.
REASONS = ("usable", "damaged", "in_repair", "missing", "not_seen", "surplus", "below_spec",
           "spec_unknown")  # fmt: skip
CATEGORIES = ("usable", "unusable", "unusable", "missing", "missing", "surplus", "unusable",
              "unusable")  # fmt: skip
_USABLE, _SURPLUS, _BELOW_SPEC, _SPEC_UNKNOWN = 0, 5, 6, 7


def rank_lines(requirements: pd.DataFrame) -> pd.DataFrame:
    """Sort lines by site and kind, strictest first; add ``rank`` (0 = strictest)."""
    lines = requirements.copy()
    lines["_filters"] = lines[list(SPEC_COLUMNS)].notna().sum(axis=1)
    lines["_memory"] = lines["min_memory_bytes"].fillna(0).astype("int64")
    lines["_cores"] = lines["min_cpu_cores"].fillna(0).astype("int64")
    lines["_age"] = lines["max_age_years"].fillna(10_000).astype("int64")
    lines["_any_os"] = lines["os_family"].isna()
    lines = lines.sort_values(
        ["site_id", "kind", "_filters", "_memory", "_cores", "_age", "_any_os", "id"],
        ascending=[True, True, False, False, False, True, True, True],
        kind="stable",
    )
    lines["rank"] = lines.groupby(["site_id", "kind"], sort=False).cumcount()
    return lines.drop(columns=["_filters", "_memory", "_cores", "_age", "_any_os"]).reset_index(
        drop=True
    )


class _Pairs:
    """Every (asset, line) of one site and kind as parallel integer arrays.

    Pairs come grouped by asset, and within an asset in its lines' rank order.
    """

    def __init__(self, assets: pd.DataFrame, lines: pd.DataFrame, as_of: pd.Timestamp) -> None:
        kinds = pd.Index(sorted(set(lines["kind"]) | set(assets["kind"])))
        line_key = lines["site_id"].to_numpy("int64") * len(kinds) + kinds.get_indexer(
            lines["kind"]
        )
        asset_key = assets["site_id"].to_numpy("int64") * len(kinds) + kinds.get_indexer(
            assets["kind"]
        )
        self.first = np.searchsorted(line_key, asset_key, "left")
        self.lines_of = np.searchsorted(line_key, asset_key, "right") - self.first
        self.start = np.cumsum(self.lines_of) - self.lines_of
        self.asset = np.repeat(np.arange(len(assets)), self.lines_of)
        offset = np.arange(len(self.asset)) - np.repeat(self.start, self.lines_of)
        self.line = np.repeat(self.first, self.lines_of) + offset
        have, want = asset_spec(assets), line_spec(lines)
        self.meets, self.unknown = check_spec(
            {name: values[self.asset] for name, values in have.items()},
            {name: values[self.line] for name, values in want.items()},
            as_of,
        )


def allocate(
    assets: pd.DataFrame, requirements: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Return one row per asset of a required site and kind: its line, category and reason."""
    placed = assets.loc[assets["site_id"].notna() & (assets["kind"] != "unknown")]
    lines = rank_lines(requirements)
    condition = pd.Categorical(placed["condition"], categories=CONDITIONS).codes
    pairs = _Pairs(placed, lines, as_of)
    taken = _fill_lines(pairs, lines, condition == _USABLE)
    line, reason = _attribute_rest(pairs, taken, condition)
    required = pairs.lines_of > 0
    result = pd.DataFrame(
        {
            "asset_id": placed["id"].to_numpy()[required],
            "requirement_id": lines["id"].to_numpy()[line[required]],
            "category": np.asarray(CATEGORIES, dtype=object)[reason[required]],
            "reason": np.asarray(REASONS, dtype=object)[reason[required]],
        }
    )
    return result.sort_values("asset_id", kind="stable").reset_index(drop=True)


class LineFiller:
    """Fills a district's lines again and again as assets come and go (the outage timeline).

    The (asset, line) pairs and their spec checks are worked out once, as of
    one moment; each ``usable_per_line`` call only redoes step 1.
    """

    def __init__(
        self, assets: pd.DataFrame, requirements: pd.DataFrame, as_of: pd.Timestamp
    ) -> None:
        self.placed = (assets["site_id"].notna() & (assets["kind"] != "unknown")).to_numpy()
        self.lines = rank_lines(requirements)
        self._pairs = _Pairs(assets.loc[self.placed], self.lines, as_of)

    def usable_per_line(self, usable: np.ndarray) -> np.ndarray:
        """How many usable assets each line (in ``self.lines`` order) counts."""
        taken = _fill_lines(self._pairs, self.lines, usable[self.placed])
        counted: np.ndarray = np.bincount(taken[taken >= 0], minlength=len(self.lines))
        return counted


def _fill_lines(pairs: _Pairs, lines: pd.DataFrame, usable: np.ndarray) -> np.ndarray:
    """Step 1: lines strictest first take the usable assets meeting them, up to their count.

    Returns, per asset, the position of the line it fills, -1 for none.
    """
    rank = lines["rank"].to_numpy()[pairs.line]
    qualifies = np.bincount(pairs.asset, weights=pairs.meets, minlength=len(usable))
    order = np.lexsort((pairs.asset, qualifies[pairs.asset], pairs.line, rank))
    asset, line, rank = pairs.asset[order], pairs.line[order], rank[order]
    eligible = (pairs.meets & usable[pairs.asset])[order]
    count = lines["count"].to_numpy()
    taken = np.full(len(usable), -1, dtype="int64")
    if len(rank) == 0:
        return taken
    bounds = np.searchsorted(rank, np.arange(int(rank.max()) + 2))
    for lo, hi in itertools.pairwise(bounds):
        chosen = np.flatnonzero(eligible[lo:hi] & (taken[asset[lo:hi]] < 0)) + lo
        if chosen.size == 0:
            continue
        # Pairs of one line are contiguous: number them within their line.
        run = line[chosen]
        starts = np.r_[True, run[1:] != run[:-1]]
        first = np.maximum.accumulate(np.where(starts, np.arange(chosen.size), 0))
        keep = chosen[np.arange(chosen.size) - first < count[run]]
        taken[asset[keep]] = line[keep]
    return taken


def _attribute_rest(
    pairs: _Pairs, taken: np.ndarray, condition: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Steps 2 to 4: each asset's line and reason (surplus, below spec, damaged, missing)."""
    free = taken < 0
    meeting = pairs.meets & free[pairs.asset]
    # Pairs run in rank order within an asset: its first meeting pair is its strictest line.
    met_assets, first_meeting = np.unique(pairs.asset[meeting], return_index=True)
    strictest = np.full(len(taken), -1, dtype="int64")
    strictest[met_assets] = pairs.line[meeting][first_meeting]
    has_lines = pairs.lines_of > 0
    loosest = pairs.first + pairs.lines_of - 1
    loosest_unknown = np.zeros(len(taken), dtype=bool)
    loosest_unknown[has_lines] = pairs.unknown[(pairs.start + pairs.lines_of - 1)[has_lines]]

    line = np.where(free, np.where(strictest >= 0, strictest, loosest), taken)
    reason = condition.astype("int64")  # condition codes are the first reason codes
    usable_left = free & (condition == _USABLE)
    reason[usable_left & (strictest >= 0)] = _SURPLUS
    weak = usable_left & (strictest < 0)
    reason[weak] = np.where(loosest_unknown[weak], _SPEC_UNKNOWN, _BELOW_SPEC)
    return line, reason
