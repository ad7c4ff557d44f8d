"""``muster ticket`` and ``muster events``: tickets tied to gap lines and assets; the webhook."""

from datetime import timedelta

import typer

from muster.cli.common import console, new_app, open_database, validated
from muster.cli.output import check_format, render

ticket_app = new_app("Tie external tickets (system, key, URL, status) to gap lines and assets.")
events_app = new_app(
    "The webhook: check for gap lines that opened or closed and assets gone missing, then "
    "deliver the events, signed, to MUSTER_WEBHOOK_URL. `muster serve` does both by itself."
)

# Options named otherwise than the fields they fill.
_OPTIONS = {"asset_id": "--asset", "requirement_id": "--requirement"}


@ticket_app.command("link")
def link_command(
    ctx: typer.Context,
    system: str = typer.Argument(..., help="The ticket system, e.g. jira, glpi, zammad."),
    key: str = typer.Argument(..., help="The ticket's key there, e.g. IT-1234."),
    url: str | None = typer.Option(None, "--url", help="Where people open the ticket."),
    status: str | None = typer.Option(None, "--status", help="Its status, e.g. open."),
    asset: str | None = typer.Option(None, "--asset", help="An asset: id, serial, MAC, name."),
    requirement: int | None = typer.Option(None, "--requirement", help="A requirement line id."),
    site: str | None = typer.Option(
        None, "--site", help="A site: all its lines, or with --kind its lines of one kind."
    ),
    kind: str | None = typer.Option(None, "--kind", help="With --site, e.g. projector."),
) -> None:
    """Link a ticket to an asset, a requirement line, or a site's lines (of one kind)."""
    from muster.cmdb.tickets import TicketLinkCreate, link_ticket
    from muster.cmdb.views import find_asset

    with open_database(ctx).session(writer=True) as session:
        values = {
            "system": system, "key": key, "url": url, "status": status, "site": site,
            "kind": kind, "requirement_id": requirement,
            "asset_id": find_asset(session, asset).id if asset is not None else None,
        }  # fmt: skip
        link = link_ticket(session, validated(TicketLinkCreate, values, options=_OPTIONS))
    console.print(f"ticket link #{link.id}: {link.system} {link.key}", highlight=False)


@ticket_app.command("list")
def list_command(
    ctx: typer.Context,
    site: str | None = typer.Option(None, "--site", help="Only this site's lines and assets."),
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List ticket links."""
    from muster.cmdb.tickets import list_tickets

    fmt = check_format(output_format)
    with open_database(ctx).session() as session:
        rows, _total = list_tickets(session, site=site)
    columns = ("id", "system", "key", "status", "site", "kind", "requirement_id", "asset_id")
    render(rows, columns, fmt, title=f"{len(rows)} ticket links")


@ticket_app.command("set-status")
def set_status_command(
    ctx: typer.Context,
    link_id: int = typer.Argument(..., help="The link's id (`muster ticket list`)."),
    status: str = typer.Argument(..., help="The ticket's status now, e.g. closed."),
) -> None:
    """Record a linked ticket's new status."""
    from muster.cmdb.tickets import TicketLinkUpdate, update_ticket

    changes = validated(TicketLinkUpdate, {"status": status})
    with open_database(ctx).session(writer=True) as session:
        link = update_ticket(session, link_id, changes)
    console.print(f"ticket link #{link.id} is {link.status}", highlight=False)


@ticket_app.command("unlink")
def unlink_command(
    ctx: typer.Context,
    link_id: int = typer.Argument(..., help="The link's id (`muster ticket list`)."),
) -> None:
    """Remove a ticket link."""
    from muster.cmdb.tickets import unlink_ticket

    with open_database(ctx).session(writer=True) as session:
        unlink_ticket(session, link_id)
    console.print(f"ticket link #{link_id} removed")


@events_app.command("check")
def check_command(
    ctx: typer.Context,
    missing_after: int = typer.Option(
        7, "--missing-after", help="Days without a sighting after which an asset is missing."
    ),
    fresh_within: int = typer.Option(
        7, "--fresh-within", help="Days within which an asset must have been seen to be usable."
    ),
) -> None:
    """Mark stale assets missing and note gap lines that opened or closed (run it regularly).

    Each finding becomes an event in the outbox; `muster events deliver` sends them.
    """
    from muster.cmdb.models import utcnow
    from muster.tickets.gapcheck import check

    with open_database(ctx).session(writer=True) as session:
        missing, events = check(
            session,
            now=utcnow(),
            missing_after=timedelta(days=missing_after),
            fresh_within=timedelta(days=fresh_within),
        )
        changed = [f"{e.type} {e.payload['data'].get('site')} {e.payload['data'].get('kind')}"
                   for e in events]  # fmt: skip
    console.print(f"{len(missing)} assets marked missing, {len(events)} gap lines changed")
    for line in changed:
        console.print(f"  {line}", highlight=False)


@events_app.command("deliver")
def deliver_command(
    ctx: typer.Context,
    url: str | None = typer.Option(
        None, "--url", help="Receiver URL; default MUSTER_WEBHOOK_URL.", show_default=False
    ),
) -> None:
    """Send due events, signed with MUSTER_WEBHOOK_SECRET (HMAC-SHA256), retrying failures."""
    from muster.tickets.webhook import WebhookSettings, deliver_pending

    settings = WebhookSettings.from_environment(url)
    report = deliver_pending(open_database(ctx), settings)
    console.print(f"{len(report.delivered)} events delivered", highlight=False)
    for event_id, error in report.failed.items():
        console.print(f"[yellow]event #{event_id} not delivered[/]: {error}", highlight=False)
    if report.failed:
        raise typer.Exit(code=1)


@events_app.command("list")
def events_list_command(
    ctx: typer.Context,
    pending: bool = typer.Option(False, "--pending", help="Only events not yet delivered."),
) -> None:
    """List the outbox's events and how their delivery went."""
    from rich.table import Table

    from muster.cmdb.events import list_events

    with open_database(ctx).session() as session:
        events = list_events(session, pending_only=pending)
    table = Table(title=f"{len(events)} events")
    for column in ("id", "type", "site", "kind", "attempts", "delivered", "last error"):
        table.add_column(column)
    for event in events:
        data = event.payload.get("data", {})
        delivered = f"{event.delivered_at:%Y-%m-%d %H:%M}" if event.delivered_at else (
            "gave up" if event.failed else "pending"
        )  # fmt: skip
        table.add_row(str(event.id), event.type, str(data.get("site") or ""),
                      str(data.get("kind") or ""), str(event.attempts), delivered,
                      event.last_error or "")  # fmt: skip
    console.print(table)
