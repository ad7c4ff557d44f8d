"""``muster report`` in every format on the hand-built district, read back as a user would.

The PDF is read with pdftotext (poppler-utils), the workbook with openpyxl,
the charts with matplotlib's PNG reader.
"""

import io
import json
import subprocess
from pathlib import Path

import pytest
from matplotlib import image
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from muster.cli.main import app
from muster.cmdb.db import Database
from muster.cmdb.models import Asset
from tests.reports.district import build_district

AS_OF = "2026-11-12T08:00"


@pytest.fixture
def cli(database: Database) -> CliRunner:
    build_district(database)
    return CliRunner(env={"MUSTER_DATABASE_URL": database.url, "COLUMNS": "200"})


def _run(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_report_gaps_json_rows_carry_counts_and_assets(cli: CliRunner) -> None:
    document = json.loads(_run(cli, "report", "gaps", "--as-of", AS_OF, "--format", "json"))

    lab = next(line for line in document["lines"] if line["label"] == "lab")
    keys = ["site", "kind", "needed", "usable", "unusable", "missing", "shortfall", "surplus"]
    assert [lab[k] for k in keys] == ["north-es", "workstation", 3, 2, 1, 1, 1, 0]
    assert len(lab["assets"]["usable"]) == 2
    assert document["district"]["restored_pct"] == 61.5
    assert [s["site"] for s in document["sites"]] == ["north-es", "south-es"]


def test_report_gaps_csv_has_one_row_per_line(cli: CliRunner) -> None:
    text = _run(cli, "report", "gaps", "--as-of", AS_OF, "--format", "csv")

    rows = text.splitlines()
    assert rows[0].split(",")[:8] == [
        "requirement_id", "site", "site_name", "kind", "label", "spec", "needed", "usable",
    ]  # fmt: skip
    assert len(rows) == 7
    assert rows[-1].endswith(",2,1,2,0,0,2,0,1,0,50.0")


def test_report_gaps_xlsx_has_summary_and_a_sheet_per_school(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "gaps.xlsx"
    _run(cli, "report", "gaps", "--as-of", AS_OF, "--format", "xlsx", "--output", str(path))

    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "north-es", "south-es"]
    summary = [
        [c for c in row if c is not None] for row in book["Summary"].iter_rows(values_only=True)
    ]
    assert ["south-es", "Southside Elementary", 3, 1, 2, 0, 2, 0, 33.3] in summary
    north = list(book["north-es"].iter_rows(values_only=True))
    lab = next(row for row in north if row[:2] == ("workstation", "lab"))
    assert lab[:14] == (
        "workstation", "lab", ">= 8 GiB, windows", 3, 2, 1, 1, 0, 0, 1, 1, 0, 66.7, None,
    )  # fmt: skip
    shortfall = book["north-es"].cell(row=north.index(lab) + 1, column=11)
    assert shortfall.fill.fgColor.rgb == "00F8D7DA"


def test_report_gaps_pdf_prints_a_page_per_school_with_its_numbers(
    cli: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "gaps.pdf"
    _run(cli, "report", "gaps", "--as-of", AS_OF, "--format", "pdf", "--output", str(path))

    pages = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    assert len([p for p in pages if p.strip()]) == 3
    north, south = pages[1], pages[2]
    assert "Northside Elementary (north-es)" in north
    assert north.split()[north.split().index("Restored") + 1 :][:5] == [
        "10",
        "7",
        "3",
        "70.0",
        "%",
    ]
    assert "Southside Elementary (south-es)" in south
    assert "workstation >= 4 cores 2 1 2 0 0 2 0 1 0 50.0" in " ".join(south.split())


def test_report_html_escapes_device_supplied_strings(
    cli: CliRunner, database: Database, tmp_path: Path
) -> None:
    with database.session(writer=True) as session:
        printer = session.scalars(select(Asset).where(Asset.hostname == "prn-n1")).one()
        printer.hostname = "<script>alert(1)</script>"
    path = tmp_path / "gaps.html"

    _run(cli, "report", "gaps", "--as-of", AS_OF, "--format", "html", "--output", str(path))

    page = path.read_text()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("report", "extra"),
    [("gaps", []), ("outage", ["--baseline", "2026-10-31"]), ("inventory", [])],
    ids=["shortfall-by-kind", "restoration-over-time", "assets-by-kind"],
)
def test_report_png_is_a_chart_image(
    cli: CliRunner, tmp_path: Path, report: str, extra: list[str]
) -> None:
    path = tmp_path / f"{report}.png"
    as_of = ["--as-of", AS_OF] if report != "inventory" else []

    _run(cli, "report", report, *as_of, *extra, "--format", "png", "--output", str(path))

    pixels = image.imread(io.BytesIO(path.read_bytes()), format="png")
    height, width = pixels.shape[:2]
    assert width > 400
    assert height > 300


def test_report_outage_json_counts_per_site(cli: CliRunner) -> None:
    text = _run(
        cli, "report", "outage", "--baseline", "2026-10-31", "--as-of", AS_OF, "-f", "json"
    )

    sites = {s["site"]: s for s in json.loads(text)["sites"]}
    north = sites["north-es"]
    assert [north[k] for k in ("before", "survived", "lost", "new", "damaged")] == [10, 7, 1, 4, 2]


def test_report_inventory_csv_lists_every_asset(cli: CliRunner) -> None:
    text = _run(cli, "report", "inventory", "--format", "csv")

    assert len(text.splitlines()) == 1 + 18
    assert "ws-n2" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "gaps", "--format", "docx"], "--format 'docx' is not known"),
        (["report", "gaps", "--as-of", "yesterday"], "--as-of 'yesterday' is not a date or time"),
        (["report", "outage", "--baseline", "31/10/2026"], "--baseline '31/10/2026' is not a day"),
        (["report", "gaps", "--site", "nowhere"], "site 'nowhere' does not exist"),
    ],
    ids=["unknown-format", "bad-as-of", "bad-baseline", "unknown-site"],
)
def test_report_refuses_bad_options_naming_them(
    cli: CliRunner, args: list[str], message: str
) -> None:
    result = cli.invoke(app, args)

    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
