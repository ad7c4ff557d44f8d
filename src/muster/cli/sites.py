"""``muster site``: the schools and buildings Muster knows, their subnets and sweep settings."""

from pathlib import Path

import typer
from pydantic import BaseModel

from muster.cli.common import console, new_app, open_database
from muster.cli.output import check_format, render

site_app = new_app(
    "Add, list and show sites (schools, buildings), their subnets and how to sweep them."
)


class SiteRow(BaseModel):
    """A site as one line of a list."""

    code: str
    name: str
    subnets: list[str]
    exclusions: list[str]
    contact: str | None
    priority: int
    profile: str
    schedule: str | None


@site_app.command("add")
def add_command(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Short code users type, e.g. lincoln-es."),
    name: str | None = typer.Option(None, "--name", help="Full name, e.g. Lincoln Elementary."),
    subnet: list[str] = typer.Option([], "--subnet", help="A subnet in CIDR; repeat for more."),
    contact: str | None = typer.Option(None, "--contact", help="Who to call about this site."),
    exclude: list[str] = typer.Option(
        [], "--exclude", help="An address or CIDR sweeps must never touch; repeat for more."
    ),
    snmp_community: list[str] = typer.Option(
        [],
        "--snmp-community",
        help="An SNMP v2c community to try (kept in the CMDB, never printed); repeat for more. "
        "A config file can name an environment variable or file instead.",
    ),
    profile: str | None = typer.Option(
        None, "--profile", help="Techniques: liveness, quick, standard (default) or full."
    ),
    port_profile: str | None = typer.Option(
        None, "--port-profile", help="TCP ports: none, minimal, common (default) or extended."
    ),
    rate_limit: int | None = typer.Option(
        None, "--rate-limit", min=1, help="Packets per second a sweep may send (default 300)."
    ),
    priority: int | None = typer.Option(
        None, "--priority", help="`muster sweep --all` sweeps higher priorities first."
    ),
    schedule: str | None = typer.Option(
        None, "--schedule", help="Cron expression for `muster serve`, e.g. '0 6 * * 1-5'."
    ),
    allow_public: bool | None = typer.Option(
        None, "--allow-public/--no-allow-public", help="Let sweeps touch public address space."
    ),
) -> None:
    """Add a site, or add subnets, exclusions and communities to an existing one."""
    from muster.cmdb.sites import add_exclusions, add_snmp_credentials, upsert_site
    from muster.collector.config import SnmpCredentialConfig
    from muster.collector.settings import change_sweep_settings

    settings = _given_settings(
        profile=profile,
        port_profile=port_profile,
        rate_limit=rate_limit,
        priority=priority,
        schedule=schedule,
        allow_public=allow_public,
    )
    credentials = [
        SnmpCredentialConfig(version="2c", community=community).columns()
        for community in snmp_community
    ]
    with open_database(ctx).session(writer=True) as session:
        site = upsert_site(session, code, name=name, subnets=subnet, contact=contact)
        add_exclusions(session, site, exclude)
        add_snmp_credentials(session, site, credentials)
        change_sweep_settings(session, site, settings)
        summary = f"site {site.code} ({site.name}): " + (
            ", ".join(s.cidr for s in site.subnets) or "no subnets"
        )
    console.print(summary, highlight=False)


def _given_settings(**options: object) -> dict[str, object]:
    return {name: value for name, value in options.items() if value is not None}


@site_app.command("apply")
def apply_command(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", envvar="MUSTER_CONFIG", help="The TOML configuration file."
    ),
) -> None:
    """Write the sites a configuration file declares into the CMDB (the file's values win).

    Sites the file does not declare are left as they are.
    """
    from muster.cmdb.errors import ConfigurationError
    from muster.collector.config import apply_config, load_config

    if config is None:
        raise ConfigurationError("no configuration file: give --config FILE or set MUSTER_CONFIG")
    loaded = load_config(config)
    with open_database(ctx).session(writer=True) as session:
        codes = apply_config(session, loaded)
    console.print(f"applied {config}: {', '.join(codes) or 'no sites'}", highlight=False)


@site_app.command("list")
def list_command(
    ctx: typer.Context,
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List every site with its subnets, highest sweep priority first."""
    from muster.cmdb.sites import sites_by_priority

    fmt = check_format(output_format)
    with open_database(ctx).session() as session:
        rows = [
            SiteRow(
                code=s.code,
                name=s.name,
                subnets=[n.cidr for n in s.subnets],
                exclusions=[e.cidr for e in s.exclusions],
                contact=s.contact,
                priority=s.priority,
                profile=s.profile,
                schedule=s.schedule,
            )
            for s in sites_by_priority(session)
        ]
    render(
        rows,
        ("code", "name", "subnets", "exclusions", "priority", "profile", "schedule", "contact"),
        fmt,
        title=f"{len(rows)} sites",
    )


@site_app.command("show")
def show_command(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The site's code."),
) -> None:
    """Show one site: subnets, sweep settings, SNMP credentials (never their secrets), assets."""
    from sqlalchemy import func, select

    from muster.cmdb.models import Asset
    from muster.cmdb.sites import get_site
    from muster.collector.credentials import credential_label

    with open_database(ctx).session() as session:
        site = get_site(session, code)
        kinds = session.execute(
            select(Asset.kind, func.count()).where(Asset.site_id == site.id).group_by(Asset.kind)
        ).all()
        console.print(f"[bold]{site.code}[/] {site.name}", highlight=False)
        console.print("subnets: " + (", ".join(s.cidr for s in site.subnets) or "none"))
        console.print("excluded: " + (", ".join(e.cidr for e in site.exclusions) or "none"))
        console.print(f"contact: {site.contact or '-'}", highlight=False)
        techniques = ", ".join(site.techniques) if site.techniques else f"profile {site.profile}"
        ports = ", ".join(map(str, site.ports)) if site.ports else site.port_profile
        console.print(f"sweep: {techniques}; ports {ports}", highlight=False)
        console.print(
            f"rate limit: {site.rate_limit} packets/s; priority {site.priority}; "
            f"public space {'allowed' if site.allow_public else 'refused'}; "
            f"schedule {site.schedule or 'none'}",
            highlight=False,
        )
        for credential in site.snmp_credentials:
            console.print(f"snmp: {credential_label(credential)}", highlight=False)
        for kind, count in sorted(kinds):
            console.print(f"  {kind}: {count}")
