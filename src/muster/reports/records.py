"""Reports as plain data: JSON documents and CSV tables.

JSON of the gap report: ``as_of``, ``fresh_within_days``, ``district`` (the
totals), ``sites`` (per school), ``lines`` (per requirement line: at least
site, kind, needed, usable, unusable, missing, shortfall, surplus; with
``assets`` naming the asset ids behind each count and ``tickets``),
``unknown_kind`` and ``unrequired`` (assets listed apart). Times are ISO 8601
in UTC; an empty value is null.
"""

import csv
import io
import json
import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from muster.reports.gaps import GapReport
from muster.reports.outage import OutageReport


def plain(value: Any) -> Any:
    """A cell as JSON-ready Python: None for NA, ISO text for times, int/float for numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer | np.bool_):
        return value.item()
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as JSON-ready dicts."""
    columns = [str(c) for c in frame.columns]
    return [
        {column: plain(value) for column, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def gaps_json(report: GapReport) -> dict[str, Any]:
    """The gap report as one JSON document (see the module's docstring)."""
    behind = report.allocation.groupby(["requirement_id", "category"])["asset_id"].agg(list)
    tickets = report.tickets.groupby("requirement_id")
    lines = []
    for line in records(report.lines):
        requirement_id = line["requirement_id"]
        line["assets"] = {
            category: sorted(int(i) for i in behind.get((requirement_id, category), []))
            for category in ("usable", "unusable", "missing", "surplus")
        }
        line["tickets"] = (
            records(tickets.get_group(requirement_id).drop(columns=["requirement_id"]))
            if requirement_id in tickets.groups
            else []
        )
        lines.append(line)
    return {
        "as_of": plain(report.as_of),
        "fresh_within_days": report.fresh_within.days,
        "district": {k: plain(v) for k, v in report.district.items()},
        "sites": records(report.sites),
        "lines": lines,
        "unknown_kind": records(report.unknown_kind),
        "unrequired": records(report.unrequired),
    }


def outage_json(report: OutageReport) -> dict[str, Any]:
    """The outage view as one JSON document: sites, assets and timeline."""
    return {
        "baseline": report.baseline.isoformat(),
        "as_of": plain(report.as_of),
        "sites": records(report.sites),
        "assets": records(report.assets),
        "timeline": records(report.timeline),
    }


def to_json(document: Any) -> str:
    """JSON text, indented for people, stable for programs."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def to_csv(frame: pd.DataFrame) -> str:
    """One table as CSV with a header row; empty cells for NA."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([str(c) for c in frame.columns])
    for row in records(frame):
        writer.writerow(["" if v is None else v for v in row.values()])
    return buffer.getvalue()
