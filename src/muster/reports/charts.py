"""Charts as PNG bytes: shortfall, restoration, inventory.

Figures are built without pyplot, so no display and no global state are
involved and a server can draw from several threads.
"""

import io

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from muster.reports.gaps import GapReport
from muster.reports.outage import OutageReport

MAX_SCHOOLS = 40
_USABLE, _SHORT, _GRID = "#2e7d32", "#c62828", "#dddddd"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def shortfall_by_kind(report: GapReport) -> bytes:
    """Stacked bars: each school's shortfall by kind, the worst MAX_SCHOOLS schools."""
    table = report.lines.pivot_table(
        index="site", columns="kind", values="shortfall", aggfunc="sum", fill_value=0
    )
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index[:MAX_SCHOOLS]]
    table = table.loc[:, table.sum(axis=0) > 0]
    figure = Figure(figsize=(max(6.0, 0.6 * len(table) + 3), 4.5))
    axes = figure.add_subplot()
    bottom = np.zeros(len(table))
    colours = mpl.colormaps["tab20"]
    for number, kind in enumerate(table.columns):
        values = table[kind].to_numpy(dtype=float)
        axes.bar(table.index.astype(str), values, bottom=bottom, label=str(kind),
                 color=colours(number % 20))  # fmt: skip
        bottom += values
    axes.set_title("Shortfall by kind per school")
    axes.set_ylabel("assets short")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", color=_GRID)
    axes.set_axisbelow(True)
    if len(table.columns):
        axes.legend(fontsize="small", ncols=2, frameon=False)
    axes.tick_params(axis="x", labelrotation=45)
    return _png(figure)


def school_lines(report: GapReport, site: str) -> bytes:
    """Horizontal bars for one school: usable and short per requirement line."""
    lines = report.lines.loc[report.lines["site"] == site]
    label = lines["label"].fillna("")
    names = (lines["kind"] + (" (" + label + ")").where(label != "", "")).tolist()
    figure = Figure(figsize=(6.5, 0.45 * max(len(names), 2) + 1.2))
    axes = figure.add_subplot()
    usable = lines["usable"].to_numpy(dtype=float)
    short = lines["shortfall"].to_numpy(dtype=float)
    axes.barh(names, usable, color=_USABLE, label="usable")
    axes.barh(names, short, left=usable, color=_SHORT, label="short")
    axes.invert_yaxis()
    axes.set_xlabel("assets")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(f"{site}: usable against needed")
    axes.grid(axis="x", color=_GRID)
    axes.set_axisbelow(True)
    axes.legend(fontsize="small", frameon=False, loc="lower right")
    return _png(figure)


def restoration(report: OutageReport, sites: list[str] | None = None) -> bytes:
    """Lines: % restored over time per school since the baseline."""
    timeline = report.timeline.dropna(subset=["restored_pct"])
    chosen = sites if sites is not None else sorted(timeline["site"].unique())[:MAX_SCHOOLS]
    figure = Figure(figsize=(7.5, 4.5))
    axes = figure.add_subplot()
    for site in chosen:
        points = timeline.loc[timeline["site"] == site]
        axes.plot(points["at"].dt.tz_localize(None), points["restored_pct"], marker="o",
                  markersize=3, label=site)  # fmt: skip
    axes.set_ylim(0, 105)
    axes.set_ylabel("% restored")
    axes.set_title(f"Restoration since {report.baseline:%Y-%m-%d}")
    axes.grid(color=_GRID)
    if chosen:
        axes.legend(fontsize="small", frameon=False)
    figure.autofmt_xdate()
    return _png(figure)


def assets_by_kind(table: pd.DataFrame) -> bytes:
    """Stacked bars: each school's assets by kind (inventory)."""
    counts = (
        table.assign(site=table["site"].astype("object").fillna("(no site)"))
        .pivot_table(
            index="site", columns="kind", values="asset_id", aggfunc="count", fill_value=0
        )
        .iloc[:MAX_SCHOOLS]
    )
    figure = Figure(figsize=(max(6.0, 0.6 * len(counts) + 3), 4.5))
    axes = figure.add_subplot()
    bottom = np.zeros(len(counts))
    colours = mpl.colormaps["tab20"]
    for number, kind in enumerate(counts.columns):
        values = counts[kind].to_numpy(dtype=float)
        axes.bar(counts.index.astype(str), values, bottom=bottom, label=str(kind),
                 color=colours(number % 20))  # fmt: skip
        bottom += values
    axes.set_title("Assets by kind per school")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", color=_GRID)
    axes.set_axisbelow(True)
    if len(counts.columns):
        axes.legend(fontsize="small", ncols=2, frameon=False)
    return _png(figure)
