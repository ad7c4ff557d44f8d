"""``muster site``: the schools and buildings Muster knows, and their subnets."""

import typer
from pydantic import BaseModel

from muster.cli.common import console, new_app, open_database
from muster.cli.output import check_format, render

site_app = new_app("Add, list and show sites (schools, buildings) and their subnets.")


class SiteRow(BaseModel):
    """A site as one line of a list."""

    code: str
    name: str
    subnets: list[str]
    contact: str | None


@site_app.command("add")
def add_command(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Short code users type, e.g. lincoln-es."),
    name: str | None = typer.Option(None, "--name", help="Full name, e.g. Lincoln Elementary."),
    subnet: list[str] = typer.Option([], "--subnet", help="A subnet in CIDR; repeat for more."),
    contact: str | None = typer.Option(None, "--contact", help="Who to call about this site."),
) -> None:
    """Add a site, or add subnets to and rename an existing one."""
    from muster.cmdb.sites import upsert_site

    with open_database(ctx).session(writer=True) as session:
        site = upsert_site(session, code, name=name, subnets=subnet, contact=contact)
        summary = f"site {site.code} ({site.name}): " + (
            ", ".join(s.cidr for s in site.subnets) or "no subnets"
        )
    console.print(summary, highlight=False)


@site_app.command("list")
def list_command(
    ctx: typer.Context,
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List every site with its subnets."""
    from muster.cmdb.sites import list_sites

    fmt = check_format(output_format)
    with open_database(ctx).session() as session:
        rows = [
            SiteRow(
                code=s.code, name=s.name, subnets=[n.cidr for n in s.subnets], contact=s.contact
            )
            for s in list_sites(session)
        ]
    render(rows, ("code", "name", "subnets", "contact"), fmt, title=f"{len(rows)} sites")


@site_app.command("show")
def show_command(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The site's code."),
) -> None:
    """Show one site: name, subnets, contact and how many assets it has by kind."""
    from sqlalchemy import func, select

    from muster.cmdb.models import Asset
    from muster.cmdb.sites import get_site

    with open_database(ctx).session() as session:
        site = get_site(session, code)
        kinds = session.execute(
            select(Asset.kind, func.count()).where(Asset.site_id == site.id).group_by(Asset.kind)
        ).all()
        console.print(f"[bold]{site.code}[/] {site.name}", highlight=False)
        console.print("subnets: " + (", ".join(s.cidr for s in site.subnets) or "none"))
        console.print(f"contact: {site.contact or '-'}")
        for kind, count in sorted(kinds):
            console.print(f"  {kind}: {count}")
