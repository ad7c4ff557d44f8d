"""Reports laid out for people: a summary and one section per school, shared by every renderer.

The spreadsheet gets a sheet per section, the HTML page a heading per
section, the PDF a page per section, from the same Document, so the numbers
are the same everywhere.
"""

from dataclasses import dataclass, field

import pandas as pd

from muster.reports.frames import CmdbFrames
from muster.reports.gaps import GapReport
from muster.reports.inventory import inventory_summary
from muster.reports.outage import OutageReport

GAP_HEADINGS = {
    "kind": "Kind",
    "label": "Line",
    "spec": "Spec",
    "needed": "Needed",
    "usable": "Usable",
    "unusable": "Unusable",
    "damaged": "Damaged",
    "in_repair": "In repair",
    "below_spec": "Below spec",
    "missing": "Missing",
    "shortfall": "Shortfall",
    "surplus": "Surplus",
    "restored_pct": "% restored",
    "tickets": "Tickets",
}
SITE_HEADINGS = {"site": "School", "site_name": "Name"} | {
    k: v
    for k, v in GAP_HEADINGS.items()
    if k not in ("kind", "label", "spec", "tickets", "damaged", "in_repair", "below_spec")
}


@dataclass(frozen=True)
class Table:
    """A titled table; ``alert`` names the column whose non-zero values need attention."""

    title: str
    frame: pd.DataFrame
    alert: str | None = None
    printable: bool = True  # long lists stay out of the one-page-per-school PDF


@dataclass(frozen=True)
class Section:
    """One school's part of a report."""

    key: str
    title: str
    figures: dict[str, str] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    chart: bytes | None = None  # a PNG


@dataclass(frozen=True)
class Document:
    """A report for people: title, summary tables, one section per school."""

    title: str
    subtitle: str
    summary: list[Table]
    sections: list[Section]


def ticket_text(tickets: pd.DataFrame, key: str) -> pd.Series:
    """Tickets per ``key`` value as "system KEY (status)", comma-separated."""
    if tickets.empty:
        return pd.Series(dtype="object")
    text = (
        tickets["system"]
        + " "
        + tickets["key"]
        + tickets["status"].map(lambda status: f" ({status})", na_action="ignore").fillna("")
    )
    return text.groupby(tickets[key]).agg(", ".join)


def percent(value: object) -> str:
    """A percentage for people: '61.5 %', or '-' when there is nothing to measure."""
    return "-" if value is None or pd.isna(value) else f"{value} %"  # type: ignore[call-overload]


def gaps_document(report: GapReport, frames: CmdbFrames) -> Document:
    """The gap report: district summary, schools worst first, then a section per school."""
    lines = report.lines.assign(
        tickets=report.lines["requirement_id"].map(ticket_text(report.tickets, "requirement_id"))
    )
    district = pd.DataFrame([{k: v for k, v in report.district.items() if k != "sites"}])
    worst_first = report.sites.sort_values(["restored_pct", "site"], na_position="last")
    summary = [
        Table("District", district.rename(columns=GAP_HEADINGS), alert="Shortfall"),
        Table("Schools, least restored first", _headed(worst_first, SITE_HEADINGS), "Shortfall"),
    ]
    if not report.unknown_kind.empty:
        summary.append(Table("Assets of unknown kind", report.unknown_kind))
    if not report.unrequired.empty:
        summary.append(Table("Assets no requirement asks for", report.unrequired))
    drill = _drill_down(report, frames)
    sections = []
    for site in report.sites.itertuples(index=False):
        site_lines = lines.loc[lines["site"] == site.site]
        figures = {
            "Needed": str(site.needed),
            "Usable": str(site.usable),
            "Shortfall": str(site.shortfall),
            "Restored": percent(site.restored_pct),
        }
        tables = [Table("Gaps", _headed(site_lines, GAP_HEADINGS), alert="Shortfall")]
        assets = drill.loc[drill["site"] == site.site].drop(columns=["site"])
        if not assets.empty:
            tables.append(Table("Assets behind the counts", assets, printable=False))
        sections.append(Section(str(site.site), str(site.site_name), figures, tables))
    subtitle = (
        f"as of {report.as_of:%Y-%m-%d %H:%M} UTC; usable means active, meeting the spec and "
        f"seen within {report.fresh_within.days} days"
    )
    return Document("Gap report", subtitle, summary, sections)


def _headed(frame: pd.DataFrame, headings: dict[str, str]) -> pd.DataFrame:
    return frame[[c for c in headings if c in frame.columns]].rename(columns=headings)


def _drill_down(report: GapReport, frames: CmdbFrames) -> pd.DataFrame:
    assets = frames.assets.set_index("id")
    rows = report.allocation.join(assets[["hostname", "status", "last_seen"]], on="asset_id")
    lines = report.lines.set_index("requirement_id")
    rows["site"] = rows["requirement_id"].map(lines["site"])
    label = lines["label"].fillna("")
    rows["line"] = rows["requirement_id"].map(lines["kind"] + (" " + label).where(label != "", ""))
    rows["tickets"] = rows["asset_id"].map(ticket_text(report.asset_tickets, "asset_id"))
    rows = rows.sort_values(["site", "line", "category", "asset_id"])
    columns = ["site", "asset_id", "hostname", "line", "category", "reason", "status",
               "last_seen", "tickets"]  # fmt: skip
    return rows[columns].rename(columns={"asset_id": "asset"})


def outage_document(report: OutageReport) -> Document:
    """The outage view: survived / lost / new / damaged per school, then each school's assets."""
    sections = []
    for site in report.sites.itertuples(index=False):
        assets = report.assets.loc[report.assets["site"] == site.site].drop(columns=["site"])
        timeline = report.timeline.loc[report.timeline["site"] == site.site].drop(columns="site")
        figures = {
            "Before": str(site.before),
            "Survived": str(site.survived),
            "Lost": str(site.lost),
            "New": str(site.new),
            "Damaged": str(site.damaged),
        }
        tables = [
            Table("Assets", assets, printable=False),
            Table("Restoration by day", timeline, printable=False),
        ]
        sections.append(Section(str(site.site), str(site.site_name), figures, tables))
    subtitle = f"baseline {report.baseline:%Y-%m-%d}, as of {report.as_of:%Y-%m-%d %H:%M} UTC"
    return Document(
        "Outage view", subtitle, [Table("Schools", report.sites, alert="lost")], sections
    )


def inventory_document(table: pd.DataFrame, sites: pd.DataFrame) -> Document:
    """The inventory: counts per school and kind, then each school's assets."""
    names = dict(zip(sites["code"], sites["name"], strict=True))
    sections = []
    for code, assets in table.groupby(
        table["site"].astype("object").fillna("(no site)"), sort=True
    ):
        title = names.get(str(code), str(code))
        sections.append(Section(str(code), title, {"Assets": str(len(assets))},
                                [Table("Assets", assets.drop(columns=["site"]))]))  # fmt: skip
    summary = [Table("Per school and kind", inventory_summary(table))]
    return Document("Inventory", f"{len(table)} assets", summary, sections)
