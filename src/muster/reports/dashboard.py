"""The dashboard's pages as HTML: district overview, school page, asset page.

Server-rendered with Jinja2, escaping every value (host names, models and
other strings come from devices and must not become markup); charts are
inline PNGs, so a page needs no script and no second request. The API
serves these pages; the figures come from the same gap report as its JSON.
"""

import base64
from datetime import datetime
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from muster.cmdb.errors import NotFoundError
from muster.cmdb.views import AssetDetail
from muster.reports import charts
from muster.reports.documents import percent, ticket_text
from muster.reports.frames import CmdbFrames
from muster.reports.gaps import GapReport
from muster.reports.records import records

COUNTS = ("needed", "usable", "unusable", "missing", "shortfall", "surplus")

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("muster.reports", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ""


def _short(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _web_link(url: Any) -> bool:
    # Only web addresses become links: a javascript: URL in a ticket must stay text.
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def _bar_width(value: Any) -> float:
    return 0.0 if value is None or pd.isna(value) else min(float(value), 100.0)


_ENVIRONMENT.filters.update(
    percent=percent, when=_when, short=_short, web_link=_web_link, bar_width=_bar_width
)


def _png(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def district_page(report: GapReport, *, query: str = "") -> str:
    """The district overview: totals, and schools by % restored, worst first.

    ``query`` (e.g. ``?as_of=...``) is kept on every link, so a page read as of
    a moment links to pages read as of the same moment.
    """
    worst_first = report.sites.sort_values(["restored_pct", "site"], na_position="last")
    return _ENVIRONMENT.get_template("dashboard/district.html.j2").render(
        as_of=f"{report.as_of:%Y-%m-%d %H:%M}",
        fresh_days=report.fresh_within.days,
        district=report.district,
        sites=records(worst_first),
        counts=COUNTS,
        chart=_png(charts.shortfall_by_kind(report)) if not report.lines.empty else None,
        query=query,
    )


def school_page(report: GapReport, frames: CmdbFrames, code: str, *, query: str = "") -> str:
    """One school: its figures, gap lines with tickets, chart, and every asset there."""
    sites = report.sites.set_index("site")
    if code not in sites.index:
        raise NotFoundError(f"site {code!r} does not exist")
    site = {"site": code, **records(sites.loc[[code]].reset_index())[0]}
    lines = report.lines.loc[report.lines["site"] == code]
    tickets = report.tickets.groupby("requirement_id")
    line_rows = []
    for line in records(lines):
        found = line["requirement_id"] in tickets.groups
        line["tickets"] = records(tickets.get_group(line["requirement_id"])) if found else []
        line_rows.append(line)
    return _ENVIRONMENT.get_template("dashboard/school.html.j2").render(
        as_of=f"{report.as_of:%Y-%m-%d %H:%M}",
        site=site,
        lines=line_rows,
        counts=COUNTS,
        assets=_school_assets(report, frames, code),
        chart=_png(charts.school_lines(report, code)) if not lines.empty else None,
        query=query,
    )


def _school_assets(report: GapReport, frames: CmdbFrames, code: str) -> list[dict[str, Any]]:
    site_ids = frames.sites.loc[frames.sites["code"] == code, "id"]
    assets = frames.assets.loc[frames.assets["site_id"].isin(site_ids)]
    allocation = report.allocation.set_index("asset_id")
    lines = report.lines.set_index("requirement_id")
    label = lines["label"].fillna("")
    names = lines["kind"] + (" (" + label + ")").where(label != "", "")
    table = pd.DataFrame(
        {
            "asset_id": assets["id"].to_numpy(),
            "hostname": assets["hostname"].to_numpy(),
            "kind": assets["kind"].to_numpy(),
            "status": assets["status"].to_numpy(),
            "last_seen": assets["last_seen"].dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
        }
    )
    listed_apart = np.select(
        [table["status"] == "retired", table["kind"] == "unknown"],
        ["retired", "unknown kind"],
        default="no line for this kind",
    )
    table["category"] = (
        table["asset_id"]
        .map(allocation["category"])
        .fillna(pd.Series(listed_apart, index=table.index))
    )
    table["reason"] = table["asset_id"].map(allocation["reason"])
    table["line"] = table["asset_id"].map(allocation["requirement_id"]).map(names)
    table["tickets"] = table["asset_id"].map(ticket_text(report.asset_tickets, "asset_id"))
    return records(table.sort_values(["kind", "hostname", "asset_id"], na_position="last"))


def asset_page(detail: AssetDetail, *, query: str = "") -> str:
    """One asset: where it was last seen, identifiers, attributes, tickets, history."""
    return _ENVIRONMENT.get_template("dashboard/asset.html.j2").render(asset=detail, query=query)


def login_page(*, error: str | None = None, next_page: str = "/dashboard") -> str:
    """The form that takes a read token and keeps it in a cookie."""
    return _ENVIRONMENT.get_template("dashboard/login.html.j2").render(
        error=error, next=next_page, query=""
    )
