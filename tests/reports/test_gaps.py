"""The gap report on the hand-built district, read from SQLite and PostgreSQL.

Every expected number is worked out by hand in ``tests/reports/district.py``.
"""

from typing import Any

import pandas as pd
import pytest

from muster.cmdb.db import Database
from muster.reports.frames import CmdbFrames, load_frames
from muster.reports.gaps import GapReport, gap_report
from tests.reports.district import AS_OF, build_district


@pytest.fixture
def district(database: Database) -> tuple[GapReport, dict[str, int], CmdbFrames]:
    ids = build_district(database)
    with database.session() as session:
        frames = load_frames(session)
    return gap_report(frames, as_of=pd.Timestamp(AS_OF)), ids, frames


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in frame[columns].itertuples(index=False)]


LINE_NUMBERS = ["site", "kind", "label", "needed", "usable", "unusable", "missing", "shortfall",
                "surplus", "restored_pct"]  # fmt: skip


def test_gap_report_counts_each_line_of_the_district(
    district: tuple[GapReport, dict[str, int], CmdbFrames],
) -> None:
    report, _ids, _frames = district

    lines = report.lines.assign(label=report.lines["label"].fillna(""))
    assert _rows(lines, LINE_NUMBERS) == [
        ("north-es", "access_point", "", 2, 1, 1, 1, 1, 0, 50.0),
        ("north-es", "ups", "", 1, 1, 0, 0, 0, 1, 100.0),
        ("north-es", "workstation", "classrooms", 4, 3, 0, 0, 1, 0, 75.0),
        ("north-es", "workstation", "lab", 3, 2, 1, 1, 1, 0, 66.7),
        ("south-es", "printer", "", 1, 0, 0, 0, 1, 0, 0.0),
        ("south-es", "workstation", "", 2, 1, 2, 0, 1, 0, 50.0),
    ]
    assert lines.loc[lines["label"] == "lab", "spec"].tolist() == [">= 8 GiB, windows"]


def test_gap_report_totals_per_site_and_district(
    district: tuple[GapReport, dict[str, int], CmdbFrames],
) -> None:
    report, _ids, _frames = district

    columns = ["site", "needed", "usable", "unusable", "missing", "shortfall", "surplus",
               "restored_pct", "unknown_kind", "unrequired"]  # fmt: skip
    assert _rows(report.sites, columns) == [
        ("north-es", 10, 7, 2, 2, 3, 1, 70.0, 1, 1),
        ("south-es", 3, 1, 2, 0, 2, 0, 33.3, 0, 0),
    ]
    assert report.district == {
        "needed": 13, "usable": 8, "unusable": 4, "damaged": 1, "in_repair": 1,
        "below_spec": 2, "missing": 2, "shortfall": 5, "surplus": 1, "restored_pct": 61.5,
        "sites": 2,
    }  # fmt: skip


def test_gap_report_drills_every_count_down_to_its_assets(
    district: tuple[GapReport, dict[str, int], CmdbFrames],
) -> None:
    report, ids, _frames = district
    line = report.lines.set_index(["site", "kind", "label"])["requirement_id"]
    lab = int(line[("north-es", "workstation", "lab")])
    classrooms = int(line[("north-es", "workstation", "classrooms")])
    south = report.lines.loc[report.lines["site"] == "south-es"].set_index("kind")
    south_ws = int(south["requirement_id"]["workstation"])
    ups = int(report.lines.loc[report.lines["kind"] == "ups", "requirement_id"].iloc[0])

    def names(requirement_id: int, category: str) -> list[str]:
        by_id = {asset_id: name for name, asset_id in ids.items()}
        return sorted(by_id[i] for i in report.assets_behind(requirement_id, category))

    assert names(lab, "usable") == ["ws-n1", "ws-n2"]
    assert names(lab, "damaged") == ["ws-n5"]
    assert names(lab, "not_seen") == ["ws-n6"]
    assert names(classrooms, "usable") == ["ws-n3", "ws-n4", "ws-n7"]
    assert names(ups, "surplus") == ["ups-n2"]
    assert names(south_ws, "below_spec") == ["ws-s2"]
    assert names(south_ws, "spec_unknown") == ["ws-s3"]
    assert names(south_ws, "unusable") == ["ws-s2", "ws-s3"]


def test_gap_report_lists_unknown_kinds_and_unrequired_assets_apart(
    district: tuple[GapReport, dict[str, int], CmdbFrames],
) -> None:
    report, ids, _frames = district

    assert _rows(report.unknown_kind, ["asset_id", "site", "vendor"]) == [
        (ids["unknown"], "north-es", "Dell")
    ]
    assert _rows(report.unrequired, ["asset_id", "site", "kind", "reason"]) == [
        (ids["prn-n1"], "north-es", "printer", "no requirement of this kind at the site")
    ]
    retired = ids["ws-s4"]
    assert retired not in set(report.allocation["asset_id"]) | set(report.unrequired["asset_id"])
