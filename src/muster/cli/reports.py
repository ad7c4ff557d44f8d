"""``muster report``: the gap report, the outage view and the inventory, in every format."""

import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.table import Table

from muster.cli.common import console, new_app, open_database
from muster.cmdb.errors import ConfigurationError

report_app = new_app(
    "Reports for managers: what each school needs against what works (gaps), what the "
    "outage took and what came back (outage), and everything the CMDB holds (inventory)."
)
FORMATS = ("table", "json", "csv", "xlsx", "html", "pdf", "png")
_BINARY = {"xlsx", "pdf", "png"}

FormatOption = typer.Option(
    "table", "--format", "-f", help="table, json, csv, xlsx, html, pdf or png."
)
OutputOption = typer.Option(
    None, "--output", "-o", help="Write to this file (needed for xlsx, pdf and png on a terminal)."
)
SiteOption = typer.Option([], "--site", help="Only this site (its code); repeat for more.")
AsOfOption = typer.Option(
    None, "--as-of", help="Report as of this moment (ISO 8601, UTC if no zone); default now."
)
FreshOption = typer.Option(
    7, "--fresh-within", help="Days within which an asset must have been seen to be usable."
)


def _format(value: str) -> str:
    if value not in FORMATS:
        raise ConfigurationError(f"--format {value!r} is not known: use {', '.join(FORMATS)}")
    return value


def _moment(text: str | None) -> Any:
    import pandas as pd

    if text is None:
        return pd.Timestamp.now(tz="UTC")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"--as-of {text!r} is not a date or time: write e.g. 2026-11-12 or 2026-11-12T08:00"
        ) from exc
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _emit(data: str | bytes, fmt: str, output: Path | None) -> None:
    if output is not None:
        if isinstance(data, bytes):
            output.write_bytes(data)
        else:
            output.write_text(data, encoding="utf-8")
        console.print(f"wrote {output}", highlight=False)
        return
    if fmt in _BINARY and sys.stdout.isatty():
        raise ConfigurationError(f"--format {fmt} writes a file: give --output FILE.{fmt}")
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
    else:
        typer.echo(data, nl=False)


def _frames(ctx: typer.Context, sites: list[str]) -> Any:
    from muster.cmdb.sites import get_site
    from muster.reports.frames import load_frames, only_sites

    with open_database(ctx).session() as session:
        codes = [get_site(session, code).code for code in sites]
        frames = load_frames(session)
    return only_sites(frames, codes) if codes else frames


@report_app.command("gaps")
def gaps_command(
    ctx: typer.Context,
    output_format: str = FormatOption,
    output: Path | None = OutputOption,
    site: list[str] = SiteOption,
    as_of: str | None = AsOfOption,
    fresh_within: int = FreshOption,
) -> None:
    """Per school and requirement line: needed, usable, unusable, missing, shortfall, surplus.

    Usable means active, meeting the line's spec and seen within --fresh-within
    days; each asset counts toward one line only, strictest spec first.
    """
    from muster.reports import charts
    from muster.reports.documents import gaps_document
    from muster.reports.gaps import gap_report
    from muster.reports.html import to_html, to_pdf
    from muster.reports.records import gaps_json, to_csv, to_json
    from muster.reports.xlsx import to_xlsx

    fmt = _format(output_format)
    frames = _frames(ctx, site)
    report = gap_report(frames, as_of=_moment(as_of), fresh_within=timedelta(days=fresh_within))
    if fmt == "table":
        _gap_table(report)
        return
    renderers: dict[str, Callable[[], str | bytes]] = {
        "json": lambda: to_json(gaps_json(report)),
        "csv": lambda: to_csv(report.lines),
        "xlsx": lambda: to_xlsx(gaps_document(report, frames)),
        "html": lambda: to_html(
            _with_charts(report, frames), overview_chart=charts.shortfall_by_kind(report)
        ),
        "pdf": lambda: to_pdf(
            _with_charts(report, frames), overview_chart=charts.shortfall_by_kind(report)
        ),
        "png": lambda: charts.shortfall_by_kind(report),
    }
    _emit(renderers[fmt](), fmt, output)


def _with_charts(report: Any, frames: Any) -> Any:
    from dataclasses import replace

    from muster.reports import charts
    from muster.reports.documents import gaps_document

    document = gaps_document(report, frames)
    sections = [
        replace(section, chart=charts.school_lines(report, section.key))
        if (report.lines["site"] == section.key).any()
        else section
        for section in document.sections
    ]
    return replace(document, sections=sections)


def _gap_table(report: Any) -> None:
    from muster.reports.documents import percent

    columns = ("needed", "usable", "unusable", "missing", "shortfall", "surplus")
    sites = report.sites.set_index("site")
    for site, lines in report.lines.groupby("site", sort=True):
        restored = percent(sites.loc[site, "restored_pct"])
        title = f"{site} ({sites.loc[site, 'site_name']}): {restored} restored"
        table = Table(
            title=title,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        table.add_column("line", no_wrap=True, max_width=18)
        for heading in ("needed", "usable", "unusable", "missing", "short", "surplus"):
            table.add_column(heading, justify="right", no_wrap=True, min_width=len(heading))
        table.add_column("restored", justify="right", no_wrap=True, min_width=8)
        for line in lines.itertuples(index=False):
            name = f"{line.kind} ({line.label})" if isinstance(line.label, str) else line.kind
            counts = [str(getattr(line, c)) for c in columns]
            style = "red" if line.shortfall else None
            table.add_row(name, *counts, percent(line.restored_pct), style=style)
        console.print(table)
    totals = report.district
    console.print(
        f"district, as of {report.as_of:%Y-%m-%d %H:%M} UTC: needed {totals['needed']}, usable "
        f"{totals['usable']}, shortfall {totals['shortfall']}, restored "
        f"{percent(totals['restored_pct'])}",
        highlight=False,
    )


@report_app.command("outage")
def outage_command(
    ctx: typer.Context,
    baseline: str = typer.Option(
        ..., "--baseline", help="The day before the outage, e.g. 2026-10-31."
    ),
    output_format: str = FormatOption,
    output: Path | None = OutputOption,
    site: list[str] = SiteOption,
    as_of: str | None = AsOfOption,
    fresh_within: int = FreshOption,
) -> None:
    """Per school: survived, lost, new and damaged since the baseline; % restored day by day."""
    from muster.reports import charts
    from muster.reports.documents import outage_document
    from muster.reports.frames import load_first_sightings_after
    from muster.reports.html import to_html, to_pdf
    from muster.reports.outage import baseline_end, outage_view
    from muster.reports.records import outage_json, to_csv, to_json
    from muster.reports.xlsx import to_xlsx

    fmt = _format(output_format)
    try:
        day = date.fromisoformat(baseline)
    except ValueError as exc:
        raise ConfigurationError(
            f"--baseline {baseline!r} is not a day: write e.g. 2026-10-31"
        ) from exc
    frames = _frames(ctx, site)
    with open_database(ctx).session() as session:
        sightings = load_first_sightings_after(session, baseline_end(day).to_pydatetime())
    report = outage_view(
        frames, sightings, baseline=day, as_of=_moment(as_of),
        fresh_within=timedelta(days=fresh_within),
    )  # fmt: skip
    if fmt == "table":
        _plain_table(report.sites.drop(columns=["site_name"]), f"outage since {day:%Y-%m-%d}")
        return
    renderers: dict[str, Callable[[], str | bytes]] = {
        "json": lambda: to_json(outage_json(report)),
        "csv": lambda: to_csv(report.sites),
        "xlsx": lambda: to_xlsx(outage_document(report)),
        "html": lambda: to_html(
            outage_document(report), overview_chart=charts.restoration(report)
        ),
        "pdf": lambda: to_pdf(outage_document(report), overview_chart=charts.restoration(report)),
        "png": lambda: charts.restoration(report),
    }
    _emit(renderers[fmt](), fmt, output)


@report_app.command("inventory")
def inventory_command(
    ctx: typer.Context,
    output_format: str = FormatOption,
    output: Path | None = OutputOption,
    site: list[str] = SiteOption,
) -> None:
    """Every asset with its site, kind, status, identity, spec and when it was seen."""
    from muster.reports import charts
    from muster.reports.documents import inventory_document
    from muster.reports.html import to_html, to_pdf
    from muster.reports.inventory import inventory, inventory_summary
    from muster.reports.records import records, to_csv, to_json
    from muster.reports.xlsx import to_xlsx

    fmt = _format(output_format)
    frames = _frames(ctx, site)
    table = inventory(frames)
    if fmt == "table":
        _plain_table(inventory_summary(table), f"{len(table)} assets")
        return
    renderers: dict[str, Callable[[], str | bytes]] = {
        "json": lambda: to_json(records(table)),
        "csv": lambda: to_csv(table),
        "xlsx": lambda: to_xlsx(inventory_document(table, frames.sites)),
        "html": lambda: to_html(
            inventory_document(table, frames.sites), overview_chart=charts.assets_by_kind(table)
        ),
        "pdf": lambda: to_pdf(
            inventory_document(table, frames.sites), overview_chart=charts.assets_by_kind(table)
        ),
        "png": lambda: charts.assets_by_kind(table),
    }
    _emit(renderers[fmt](), fmt, output)


def _plain_table(frame: Any, title: str) -> None:
    from muster.reports.html import cell

    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.itertuples(index=False, name=None):
        table.add_row(*(cell(value) for value in row))
    console.print(table)
