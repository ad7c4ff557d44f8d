"""``muster assets`` and ``muster conflicts``: read the CMDB, mark assets by hand."""

import json

import typer
from rich.panel import Panel
from rich.table import Table

from muster.cli.common import console, new_app, open_database
from muster.cli.output import check_format, render

assets_app = new_app("List and show assets; mark them damaged, in repair or retired.")
conflicts_app = new_app("Disagreements between identifiers, kept for review.")

_LIST_COLUMNS = ("id", "site", "kind", "status", "hostname", "vendor", "model", "serial", "ips")


@assets_app.command("list")
def list_command(
    ctx: typer.Context,
    site: str | None = typer.Option(None, "--site", help="Only this site (its code)."),
    kind: str | None = typer.Option(None, "--kind", help="Only this kind, e.g. printer."),
    status: str | None = typer.Option(None, "--status", help="Only this status, e.g. missing."),
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List assets, one line each."""
    from muster.cmdb.status import parse_status
    from muster.cmdb.views import list_assets

    fmt = check_format(output_format)
    kind_value = _kind(kind) if kind else None
    status_value = parse_status(status).value if status else None
    with open_database(ctx).session() as session:
        rows = list_assets(session, site=site, kind=kind_value, status=status_value)
    render(rows, _LIST_COLUMNS, fmt, title=f"{len(rows)} assets")


def _kind(text: str) -> str:
    from muster.cmdb.errors import ConfigurationError
    from muster.cmdb.kinds import require_kind

    try:
        return require_kind(text).value
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc


@assets_app.command("show")
def show_command(
    ctx: typer.Context,
    reference: str = typer.Argument(..., help="Asset id, serial, MAC, host name or address."),
    output_format: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Show one asset: attributes and where each came from, identifiers, history."""
    from muster.cmdb.views import describe_asset, find_asset

    with open_database(ctx).session() as session:
        detail = describe_asset(session, find_asset(session, reference))
    if output_format == "json":
        typer.echo(detail.model_dump_json(indent=2))
        return
    _print_detail(detail)


def _print_detail(detail: object) -> None:
    from muster.cmdb.views import AssetDetail

    assert isinstance(detail, AssetDetail)
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_column(style="dim")
    for name, value in detail.attributes.items():
        if value is None:
            continue
        origin = detail.provenance.get(name, {})
        why = "; ".join(origin.get("evidence", []))
        from_text = f"{origin['source']} {origin['at'][:16]}" if origin else ""
        head.add_row(name, str(value), f"{from_text} {why}".strip())
    head.add_row("site", detail.site or "(none)", "")
    head.add_row(
        "seen", f"{detail.first_seen:%Y-%m-%d %H:%M} .. {detail.last_seen:%Y-%m-%d %H:%M}", ""
    )
    title = f"asset #{detail.id} {detail.hostname or ''}".strip()
    console.print(Panel(head, title=title, expand=False))

    identifiers = Table(title="identifiers")
    for column in ("type", "value", "used", "source", "last seen"):
        identifiers.add_column(column)
    for ident in detail.identifiers:
        used = "yes" if ident.usable else f"no: {ident.note}"
        identifiers.add_row(
            ident.type, ident.value, used, ident.source, f"{ident.last_seen:%Y-%m-%d %H:%M}"
        )
    console.print(identifiers)

    for name in ("interfaces", "services", "disks", "filesystems"):
        rows = getattr(detail, name)
        if rows:
            console.print(
                f"[bold]{name}[/]: " + "; ".join(json.dumps(r) for r in rows), highlight=False
            )
    if detail.software:
        console.print(f"[bold]software[/]: {len(detail.software)} packages")

    history = Table(title="history")
    for column in ("when", "field", "old", "new", "source", "note"):
        history.add_column(column)
    for change in detail.history:
        history.add_row(
            f"{change.observed_at:%Y-%m-%d %H:%M}",
            change.field,
            _short(change.old),
            _short(change.new),
            change.source,
            change.note or "",
        )
    console.print(history)
    for conflict in detail.conflicts:
        console.print(
            f"[yellow]conflict #{conflict.id} ({conflict.status})[/] {conflict.detail}",
            highlight=False,
        )


def _short(value: object) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


@assets_app.command("set-status")
def set_status_command(
    ctx: typer.Context,
    reference: str = typer.Argument(..., help="Asset id, serial, MAC, host name or address."),
    status: str = typer.Argument(..., help="active, missing, damaged, in_repair or retired."),
    note: str | None = typer.Option(None, "--note", help="Why, for the history."),
) -> None:
    """Mark an asset damaged, in repair or retired (or back to active)."""
    from muster.cmdb.status import parse_status, set_status
    from muster.cmdb.views import find_asset

    wanted = parse_status(status)
    with open_database(ctx).session(writer=True) as session:
        asset = find_asset(session, reference)
        changed = set_status(session, asset, wanted, note=note)
        asset_id = asset.id
    verb = "is now" if changed else "was already"
    console.print(f"asset #{asset_id} {verb} {wanted.value}")


@conflicts_app.command("list")
def conflicts_list_command(
    ctx: typer.Context,
    include_resolved: bool = typer.Option(False, "--all", help="Include resolved conflicts."),
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List conflicts: identifiers seen on machines that other identifiers keep apart."""
    from muster.cmdb.views import list_conflicts

    fmt = check_format(output_format)
    with open_database(ctx).session() as session:
        rows = list_conflicts(session, include_resolved=include_resolved)
    columns = (
        "id",
        "kind",
        "status",
        "identifier_type",
        "identifier_value",
        "asset_id",
        "other_asset_id",
        "detail",
    )
    render(rows, columns, fmt, title=f"{len(rows)} conflicts")
