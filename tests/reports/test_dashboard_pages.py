"""The dashboard's pages rendered from the hand-built district, read back from their HTML."""

from html.parser import HTMLParser

import pandas as pd
import pytest
from sqlalchemy import select

from muster.cmdb.db import Database
from muster.cmdb.errors import NotFoundError
from muster.cmdb.models import Asset
from muster.cmdb.tickets import TicketLinkCreate, link_ticket
from muster.cmdb.views import describe_asset
from muster.reports.dashboard import asset_page, district_page, school_page
from muster.reports.frames import CmdbFrames, load_frames
from muster.reports.gaps import GapReport, gap_report
from tests.reports.district import AS_OF, build_district


class _Figures(HTMLParser):
    """Collects the text of elements marked data-figure, by row (data-site / data-requirement)."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[tuple[str, str], str] = {}
        self.links: list[str] = []
        self._row = ""
        self._figure: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr":
            self._row = found.get("data-site") or found.get("data-requirement") or ""
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        self._figure = found.get("data-figure") or self._figure

    def handle_data(self, data: str) -> None:
        if self._figure is not None and data.strip():
            self.figures[(self._row, self._figure)] = data.strip()
            self._figure = None


def _read(page: str) -> _Figures:
    parser = _Figures()
    parser.feed(page)
    return parser


@pytest.fixture
def district(database: Database) -> tuple[GapReport, CmdbFrames, Database]:
    build_district(database)
    with database.session(writer=True) as session:
        printer = session.scalars(select(Asset).where(Asset.hostname == "prn-n1")).one()
        printer.hostname = '<img src=x onerror="alert(1)">'
    with database.session() as session:
        frames = load_frames(session)
    return gap_report(frames, as_of=pd.Timestamp(AS_OF)), frames, database


def test_district_page_lists_schools_worst_first_with_their_figures(
    district: tuple[GapReport, CmdbFrames, Database],
) -> None:
    report, _frames, _database = district

    page = _read(district_page(report))

    assert page.figures[("", "needed")] == "13"
    assert page.figures[("", "restored_pct")] == "61.5 %"
    assert page.links[1:3] == ["/dashboard/sites/south-es", "/dashboard/sites/north-es"]
    assert page.figures[("south-es", "shortfall")] == "2"
    assert page.figures[("north-es", "restored_pct")] == "70.0 %"


def test_school_page_shows_lines_and_escapes_device_strings(
    district: tuple[GapReport, CmdbFrames, Database],
) -> None:
    report, frames, _database = district
    lab = int(report.lines.loc[report.lines["label"] == "lab", "requirement_id"].iloc[0])

    html = school_page(report, frames, "north-es")

    page = _read(html)
    assert [page.figures[(str(lab), c)] for c in ("needed", "usable", "shortfall")] == [
        "3", "2", "1",
    ]  # fmt: skip
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


def test_school_page_of_unknown_site_is_not_found(
    district: tuple[GapReport, CmdbFrames, Database],
) -> None:
    report, frames, _database = district

    with pytest.raises(NotFoundError, match="site 'nowhere' does not exist"):
        school_page(report, frames, "nowhere")


def test_asset_page_links_only_web_addresses_of_tickets(
    district: tuple[GapReport, CmdbFrames, Database],
) -> None:
    _report, _frames, database = district
    with database.session(writer=True) as session:
        asset = session.scalars(select(Asset).where(Asset.hostname == "ws-n5")).one()
        for key, url in (("IT-9", "javascript:alert(1)"), ("IT-10", "https://jira.example/IT-10")):
            ticket = TicketLinkCreate(system="jira", key=key, url=url, asset_id=asset.id)
            link_ticket(session, ticket)
        detail = describe_asset(session, asset)

    page = _read(asset_page(detail))

    assert "https://jira.example/IT-10" in page.links
    assert not any(link.startswith("javascript") for link in page.links)
    assert "/dashboard/sites/north-es" in page.links
