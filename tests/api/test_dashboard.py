"""The dashboard served by `muster serve`, read in headless chromium, checked against the API.

The hand-built district of ``tests/reports/district.py`` is loaded, a
manager signs in with a read token, and every figure the pages show is
compared with ``/api/v1/reports/gaps`` of the same server. Screenshots are
kept under artifacts/dashboard/.
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from muster.cmdb.db import Database
from muster.cmdb.models import Asset
from muster.cmdb.tickets import TicketLinkCreate, link_ticket
from muster.cmdb.tokens import Scope, create_token
from tests.api.browser import Browsing, chromium
from tests.api.conftest import LiveServer, auth, start_server, stop_server
from tests.reports.district import build_district

AS_OF = "2026-11-12T08:00:00"
HOSTILE = "<script>alert('pwned')</script>"


@pytest.fixture
def served(database: Database, tmp_path: Any) -> Iterator[tuple[LiveServer, str, dict[str, int]]]:
    ids = build_district(database)
    with database.session(writer=True) as session:
        printer = session.scalars(select(Asset).where(Asset.hostname == "prn-n1")).one()
        printer.hostname = HOSTILE  # as a device could name itself over SNMP
        link_ticket(session, TicketLinkCreate(system="jira", key="IT-7", site="south-es",
                    kind="printer", url="https://jira.example/IT-7", status="open"))  # fmt: skip
        _view, secret = create_token(session, "manager", [Scope.READ])
    server = start_server(database.url, tmp_path / "serve.log")
    yield server, secret, ids
    stop_server(server)


def _figures(browsing: Browsing, scope: str) -> dict[str, str]:
    cells = browsing.page.locator(f"{scope} [data-figure]")
    return {
        str(cells.nth(i).get_attribute("data-figure")): cells.nth(i).inner_text().strip()
        for i in range(cells.count())
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value} %"


def test_dashboard_pages_show_the_api_figures_in_chromium(
    served: tuple[LiveServer, str, dict[str, int]], request: pytest.FixtureRequest
) -> None:
    server, secret, ids = served
    backend = request.node.callspec.id
    api = httpx.get(f"{server.url}/api/v1/reports/gaps", params={"as_of": AS_OF},
                    headers=auth(secret), timeout=30).json()  # fmt: skip

    with chromium() as browsing:
        page = browsing.page
        page.goto(f"{server.url}/dashboard?as_of={AS_OF}")
        assert page.url.startswith(f"{server.url}/dashboard/login")
        page.fill("#token", secret)
        page.click("#sign-in")
        page.wait_for_url(f"{server.url}/dashboard?as_of=*")

        district = api["district"]
        assert _figures(browsing, "#district-figures") == {
            "needed": str(district["needed"]), "usable": str(district["usable"]),
            "shortfall": str(district["shortfall"]),
            "restored_pct": _pct(district["restored_pct"]),
        }  # fmt: skip
        assert (district["needed"], district["usable"], district["shortfall"]) == (13, 8, 5)
        rows = page.locator("#schools tbody tr")
        order = [rows.nth(i).get_attribute("data-site") for i in range(rows.count())]
        worst_first = sorted(api["sites"], key=lambda s: s["restored_pct"])
        assert order == [s["site"] for s in worst_first] == ["south-es", "north-es"]
        for site in api["sites"]:
            shown = _figures(browsing, f"#schools tr[data-site='{site['site']}']")
            assert shown["shortfall"] == str(site["shortfall"])
            assert shown["restored_pct"] == _pct(site["restored_pct"])
        browsing.screenshot(f"{backend}-district")

        page.click("a[href^='/dashboard/sites/north-es']")
        page.wait_for_url("**/dashboard/sites/north-es*")
        north = next(s for s in api["sites"] if s["site"] == "north-es")
        school = _figures(browsing, "#school-figures")
        assert [school[k] for k in ("needed", "usable", "shortfall")] == [
            str(north["needed"]), str(north["usable"]), str(north["shortfall"]),
        ]  # fmt: skip
        for line in (line for line in api["lines"] if line["site"] == "north-es"):
            shown = _figures(browsing, f"#gaps tr[data-requirement='{line['requirement_id']}']")
            assert {k: shown[k] for k in ("needed", "usable", "missing", "shortfall")} == {
                k: str(line[k]) for k in ("needed", "usable", "missing", "shortfall")
            }
        assert HOSTILE in page.locator("#assets").inner_text()
        browsing.screenshot(f"{backend}-school")

        page.click(f"a[href^='/dashboard/assets/{ids['ws-n5']}']")
        page.wait_for_url(f"**/dashboard/assets/{ids['ws-n5']}*")
        assert "SN-WS-N5" in page.locator("#identifiers").inner_text()
        assert "north-es" in page.locator("#last-seen").inner_text()
        assert "damaged" in page.locator("#history").inner_text()
        browsing.screenshot(f"{backend}-asset")

        page.goto(f"{server.url}/dashboard/sites/south-es?as_of={AS_OF}")
        assert (
            page.locator("#gaps a[href='https://jira.example/IT-7']").inner_text() == "jira IT-7"
        )

    assert browsing.problems == []


def test_dashboard_refuses_a_token_without_the_read_scope(
    served: tuple[LiveServer, str, dict[str, int]], database: Database
) -> None:
    server, _secret, _ids = served
    with database.session(writer=True) as session:
        _view, ingest_only = create_token(session, "collector", [Scope.INGEST])

    with httpx.Client(base_url=server.url, timeout=30) as client:
        form = {"token": ingest_only, "next": "/dashboard"}
        refused = client.post("/dashboard/login", data=form)
        anonymous = client.get("/dashboard")

    assert refused.status_code == 401
    assert "lacks the read scope" in refused.text
    assert (anonymous.status_code, anonymous.headers["location"]) == (
        303, "/dashboard/login?next=%2Fdashboard",
    )  # fmt: skip


def test_requirement_made_through_the_api_with_a_label_shows_in_the_gap_report(
    served: tuple[LiveServer, str, dict[str, int]], database: Database
) -> None:
    server, secret, _ids = served
    with database.session(writer=True) as session:
        _view, admin = create_token(session, "it-admin", [Scope.ADMIN])
    line = {"site": "south-es", "kind": "ups", "count": 2, "label": "server closet"}

    created = httpx.post(f"{server.url}/api/v1/requirements", json=line, headers=auth(admin))
    gaps = httpx.get(f"{server.url}/api/v1/reports/gaps", params={"as_of": AS_OF},
                     headers=auth(secret), timeout=30).json()  # fmt: skip

    assert (created.status_code, created.json()["label"]) == (201, "server closet")
    ups = next(row for row in gaps["lines"] if row["kind"] == "ups" and row["site"] == "south-es")
    assert (ups["label"], ups["needed"], ups["shortfall"]) == ("server closet", 2, 2)
