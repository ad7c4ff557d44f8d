"""``muster db`` and ``muster schema``: the CMDB's schema and the Observation format."""

import json
from pathlib import Path

import typer

from muster.cli.common import console, new_app, state

db_app = new_app("Create or upgrade the CMDB's database schema.")
schema_app = new_app("Print the published formats other tools may produce or read.")


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Bring the CMDB's schema to this version of Muster (safe to run again)."""
    from muster.cmdb.db import Database

    database = Database(state(ctx).database_url)
    before = database.current_revision()
    database.upgrade()
    after = database.current_revision()
    if before == after:
        console.print(f"{database.display_url} is already at schema {after}")
    else:
        console.print(f"{database.display_url}: schema {before or 'empty'} -> {after}")


@db_app.command("current")
def current(ctx: typer.Context) -> None:
    """Show the schema version of the CMDB and the one this Muster needs."""
    from muster.cmdb.db import Database

    database = Database(state(ctx).database_url)
    console.print(f"database: {database.display_url}")
    console.print(f"schema:   {database.current_revision() or 'empty'}")
    console.print(f"needed:   {database.head_revision()}")


@schema_app.command("observation")
def observation_schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
) -> None:
    """Print the JSON Schema of the Observation format (muster.observation/1)."""
    from muster.cmdb.observation import observation_json_schema

    text = json.dumps(observation_json_schema(), indent=2, sort_keys=True)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n")
        console.print(f"wrote {output}")
