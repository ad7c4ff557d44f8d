"""Reports of a CMDB that holds nothing yet, or assets without sites, render without error."""

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from muster.cmdb.db import Database
from muster.cmdb.sites import upsert_site
from muster.reports import charts
from muster.reports.documents import gaps_document, inventory_document, outage_document
from muster.reports.frames import (
    ASSET_COLUMNS,
    REQUIREMENT_COLUMNS,
    SITE_COLUMNS,
    STATUS_CHANGE_COLUMNS,
    TICKET_COLUMNS,
    CmdbFrames,
    frame,
    load_first_sightings_after,
    load_frames,
)
from muster.reports.gaps import gap_report
from muster.reports.html import to_html, to_pdf
from muster.reports.inventory import inventory
from muster.reports.outage import baseline_end, outage_view
from muster.reports.records import gaps_json, outage_json, to_csv
from muster.reports.xlsx import to_xlsx

NOW = pd.Timestamp(datetime(2026, 11, 12, 8, 0, tzinfo=UTC))
SEEN = datetime(2026, 11, 11, tzinfo=UTC)


def _frames(assets: list[tuple[object, ...]]) -> CmdbFrames:
    return CmdbFrames(
        sites=frame([], SITE_COLUMNS),
        assets=frame(assets, ASSET_COLUMNS),
        requirements=frame([], REQUIREMENT_COLUMNS),
        status_changes=frame([], STATUS_CHANGE_COLUMNS),
        tickets=frame([], TICKET_COLUMNS),
    )


@pytest.mark.parametrize(
    "assets",
    [[], [(1, None, "printer", "active", "p1", None, None, None, None, None, None, None,
           SEEN, SEEN)]],
    ids=["nothing", "an-asset-without-a-site"],
)  # fmt: skip
def test_reports_of_a_cmdb_without_sites_render_in_every_format(
    assets: list[tuple[object, ...]],
) -> None:
    frames = _frames(assets)

    gaps = gap_report(frames, as_of=NOW)
    sightings = pd.DataFrame(
        {
            "asset_id": pd.Series([], dtype="int64"),
            "first_after": pd.Series([], dtype="datetime64[ns, UTC]"),
        }
    )
    outage = outage_view(frames, sightings, baseline=date(2000, 1, 1), as_of=NOW)  # fmt: skip
    table = inventory(frames)

    assert gaps.district["needed"] == 0
    assert gaps_json(gaps)["lines"] == []
    assert len(gaps.unrequired) == len(assets)
    assert outage_json(outage)["sites"] == []
    assert to_csv(table).count("\n") == 1 + len(assets)
    for document in (gaps_document(gaps, frames), outage_document(outage),
                     inventory_document(table, frames.sites)):  # fmt: skip
        assert to_xlsx(document).startswith(b"PK")
        assert "<html" in to_html(document)
        assert to_pdf(document).startswith(b"%PDF")
    for chart in (charts.shortfall_by_kind(gaps), charts.restoration(outage),
                  charts.assets_by_kind(table)):  # fmt: skip
        assert chart.startswith(b"\x89PNG")


def test_outage_view_of_a_site_without_assets_read_from_the_database(
    database: Database,
) -> None:
    baseline = date(2000, 1, 1)
    with database.session(writer=True) as session:
        upsert_site(session, "lincoln-es")
    with database.session() as session:
        frames = load_frames(session)
        sightings = load_first_sightings_after(session, baseline_end(baseline).to_pydatetime())

    report = outage_view(frames, sightings, baseline=baseline, as_of=NOW)

    assert report.sites[["site", "before", "survived"]].values.tolist() == [["lincoln-es", 0, 0]]
    assert set(report.timeline["assets_up"]) == {0}
