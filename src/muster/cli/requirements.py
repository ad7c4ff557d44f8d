"""``muster requirement``: what each site needs, by hand, by template or from a file."""

from pathlib import Path

import typer
from rich.table import Table

from muster.cli.common import console, new_app, open_database, validated
from muster.cli.output import check_format, render
from muster.cmdb.errors import ConfigurationError

requirement_app = new_app(
    "What each site needs: lines by kind with an optional minimum spec, templates "
    "applied to many sites with per-site quantities, and a requirements file."
)
template_app = new_app("Templates: one set of lines applied to many sites with their quantities.")
requirement_app.add_typer(template_app, name="template")

_LIST_COLUMNS = ("id", "site", "kind", "label", "count", "spec", "template")


@requirement_app.command("add")
def add_command(
    ctx: typer.Context,
    site: str = typer.Argument(..., help="The site's code, e.g. lincoln-es."),
    kind: str = typer.Option(..., "--kind", help="What is needed, e.g. workstation, projector."),
    count: int = typer.Option(..., "--count", help="How many."),
    label: str | None = typer.Option(
        None, "--label", help="Tells lines of one kind apart, e.g. lab."
    ),
    min_memory_gb: float | None = typer.Option(None, "--min-memory-gb", help="Minimum GiB."),
    min_cores: int | None = typer.Option(None, "--min-cores", help="Minimum CPU cores."),
    os_family: str | None = typer.Option(
        None, "--os-family", help="windows, macos, chromeos, ios, android, linux or bsd."
    ),
    max_age_years: int | None = typer.Option(
        None, "--max-age-years", help="Maximum age, judged by the firmware (BIOS) date."
    ),
    note: str | None = typer.Option(None, "--note", help="Why, for the people reading it."),
) -> None:
    """Add a requirement line: a site needs COUNT of KIND, optionally of a minimum spec."""
    from muster.cmdb.requirements import RequirementSpec, add_requirement

    values = {
        "kind": kind,
        "count": count,
        "label": label,
        "min_memory_gb": min_memory_gb,
        "min_cores": min_cores,
        "os_family": os_family,
        "max_age_years": max_age_years,
        "note": note,
    }
    spec = validated(RequirementSpec, values)
    with open_database(ctx).session(writer=True) as session:
        shown = add_requirement(session, site, spec)
    spec_text = f" ({shown.spec})" if shown.spec else ""
    console.print(
        f"requirement #{shown.id}: {shown.site} needs {shown.count} {shown.kind}{spec_text}",
        highlight=False,
    )


@requirement_app.command("list")
def list_command(
    ctx: typer.Context,
    site: str | None = typer.Option(None, "--site", help="Only this site (its code)."),
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List requirement lines by site and kind."""
    from muster.cmdb.requirements import list_requirements

    fmt = check_format(output_format)
    with open_database(ctx).session() as session:
        rows, _total = list_requirements(session, site=site)
    render(rows, _LIST_COLUMNS, fmt, title=f"{len(rows)} requirement lines")


@requirement_app.command("remove")
def remove_command(
    ctx: typer.Context,
    requirement_id: int = typer.Argument(..., help="The line's id (`muster requirement list`)."),
) -> None:
    """Remove a requirement line added by hand."""
    from muster.cmdb.requirements import remove_requirement

    with open_database(ctx).session(writer=True) as session:
        removed = remove_requirement(session, requirement_id)
    console.print(f"removed #{removed.id}: {removed.site} {removed.count} {removed.kind}")


@requirement_app.command("apply")
def apply_command(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A requirements file (TOML)."),
) -> None:
    """Apply a requirements file: its templates, and the lines of each site it names.

    For each site in the file, templates not listed are taken off and lines
    not listed are removed; other sites are left alone. The file is checked
    whole first: on any error nothing is written.
    """
    from muster.cmdb.requirements_file import apply_requirements_file, load_requirements_file

    declared = load_requirements_file(path)
    with open_database(ctx).session(writer=True) as session:
        outcomes = apply_requirements_file(session, declared)
    table = Table(title=f"applied {path.name}: {len(declared.templates)} templates")
    for column in ("site", "added", "updated", "removed"):
        table.add_column(column, justify="left" if column == "site" else "right")
    for outcome in outcomes:
        table.add_row(outcome.site, str(outcome.added), str(outcome.updated), str(outcome.removed))
    console.print(table)


@template_app.command("list")
def template_list_command(
    ctx: typer.Context,
    output_format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """List templates, their lines and the sites each is applied to."""
    from muster.cmdb.requirements import describe_spec
    from muster.cmdb.templates import list_templates

    with open_database(ctx).session() as session:
        templates = list_templates(session)
    if output_format == "json":
        typer.echo("[" + ",".join(t.model_dump_json() for t in templates) + "]")
        return
    for template in templates:
        table = Table(title=f"{template.name}: {template.description or ''}".rstrip(": "))
        for column in ("kind", "label", "count", "per unit", "spec"):
            table.add_column(column)
        for line in template.lines:
            per = f"{line.each} per {line.per}" if line.per else ""
            spec = describe_spec(**line.columns())
            table.add_row(line.kind.value, line.label or "", str(line.count), per, spec)
        console.print(table)
        for code, quantities in template.sites.items():
            shown = ", ".join(f"{unit}={n}" for unit, n in quantities.items())
            console.print(f"  applied to {code} ({shown or 'no quantities'})", highlight=False)


@template_app.command("apply")
def template_apply_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The template's name."),
    sites: list[str] = typer.Argument(
        ...,
        help="Sites with their quantities: lincoln-es:classroom=24 "
        "(several units: roosevelt-ms:classroom=30,lab=2).",
    ),
) -> None:
    """Apply a template to one or more sites, each with its own quantities."""
    from muster.cmdb.templates import apply_template

    parsed = [_site_quantities(text) for text in sites]
    with open_database(ctx).session(writer=True) as session:
        for code, quantities in parsed:
            added, updated, removed = apply_template(session, name, code, quantities)
            console.print(
                f"{code}: {added} lines added, {updated} updated, {removed} removed",
                highlight=False,
            )


def _site_quantities(text: str) -> tuple[str, dict[str, int]]:
    code, _, rest = text.partition(":")
    quantities: dict[str, int] = {}
    for pair in filter(None, rest.split(",")):
        unit, _, number = pair.partition("=")
        if not number.strip().isdigit():
            raise ConfigurationError(
                f"quantity {pair!r} of site {code!r} is not UNIT=NUMBER: "
                "write e.g. lincoln-es:classroom=24"
            )
        quantities[unit.strip().lower()] = int(number)
    return code, quantities


@template_app.command("remove")
def template_remove_command(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The template's name."),
    site: str = typer.Argument(..., help="The site to take it off."),
) -> None:
    """Take a template off a site, with the lines it made there."""
    from muster.cmdb.templates import remove_template_from_site

    with open_database(ctx).session(writer=True) as session:
        removed = remove_template_from_site(session, name, site)
    console.print(f"{site}: template {name} removed with its {removed} lines")
