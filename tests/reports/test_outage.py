"""The outage view on the hand-built district: what survived, and restoration day by day."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from muster.cmdb.db import Database
from muster.reports.frames import load_first_sightings_after, load_frames
from muster.reports.outage import OutageReport, baseline_end, outage_view
from tests.reports.district import AS_OF, BASELINE, build_district


@pytest.fixture
def outage(database: Database) -> tuple[OutageReport, dict[str, int]]:
    ids = build_district(database)
    with database.session() as session:
        frames = load_frames(session)
        sightings = load_first_sightings_after(session, baseline_end(BASELINE))
    return outage_view(frames, sightings, baseline=BASELINE, as_of=pd.Timestamp(AS_OF)), ids


def test_outage_view_counts_survived_lost_new_and_damaged_per_site(
    outage: tuple[OutageReport, dict[str, int]],
) -> None:
    report, _ids = outage

    columns = ["site", "before", "survived", "lost", "new", "damaged", "survived_pct"]
    assert [tuple(r) for r in report.sites[columns].itertuples(index=False)] == [
        ("north-es", 10, 7, 1, 4, 2, 70.0),
        ("south-es", 1, 0, 1, 3, 0, 0.0),
    ]


def test_outage_view_names_the_outcome_of_each_asset(
    outage: tuple[OutageReport, dict[str, int]],
) -> None:
    report, ids = outage
    outcome = report.assets.set_index("asset_id")["outcome"]

    assert {name: outcome[asset_id] for name, asset_id in ids.items()} == {
        "ws-n1": "survived", "ws-n2": "survived", "ws-n3": "new", "ws-n4": "survived",
        "ws-n5": "damaged", "ws-n6": "survived", "ws-n7": "new", "ap-n1": "survived",
        "ap-n2": "lost", "ap-n3": "damaged", "ups-n1": "survived", "ups-n2": "new",
        "prn-n1": "survived", "unknown": "new", "ws-s1": "new", "ws-s2": "new", "ws-s3": "new",
        "ws-s4": "lost",
    }  # fmt: skip


def test_outage_restoration_replays_history_day_by_day(
    outage: tuple[OutageReport, dict[str, int]],
) -> None:
    report, _ids = outage
    figures = {
        (row.site, row.at): [row.assets_up, row.usable, row.restored_pct]
        for row in report.timeline.itertuples(index=False)
    }

    def at(day: int, hour: int = 0, site: str = "north-es") -> tuple[str, pd.Timestamp]:
        return site, pd.Timestamp(datetime(2026, 11, day, hour, tzinfo=UTC))

    assert len(report.timeline) == 24
    assert figures[at(2)] == [0, 0, 0.0]
    # ws-n6 came back on the 3rd; ws-n5 came back too but was found damaged that evening.
    assert figures[at(4)] == [1, 1, 10.0]
    # ap-n3 answered on the 4th and went for repair on the 5th at 08:00.
    assert figures[at(5)] == [2, 2, 20.0]
    assert figures[at(12, 8)] == [10, 7, 70.0]
    assert figures[at(12, 8, "south-es")] == [3, 1, 33.3]
