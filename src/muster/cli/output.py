"""Rendering lists of records as a table, JSON or CSV, the same way for every command."""

import csv
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from muster.cli.common import console
from muster.cmdb.errors import ConfigurationError

if TYPE_CHECKING:
    from pydantic import BaseModel

FORMATS = ("table", "json", "csv")


def check_format(value: str) -> str:
    """Return a --format value, or raise ConfigurationError listing the choices."""
    if value not in FORMATS:
        raise ConfigurationError(f"--format {value!r} is not known: use {', '.join(FORMATS)}")
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def render(
    rows: Sequence["BaseModel"], columns: Sequence[str], fmt: str, *, title: str | None = None
) -> None:
    """Print records: all fields as JSON or CSV, the given columns as a table."""
    if fmt == "json":
        typer.echo(json.dumps([row.model_dump(mode="json") for row in rows], indent=2))
        return
    if fmt == "csv":
        fields = list(type(rows[0]).model_fields) if rows else list(columns)
        writer = csv.writer(sys.stdout)
        writer.writerow(fields)
        for row in rows:
            data = row.model_dump(mode="json")
            writer.writerow([_cell(data[name]) for name in fields])
        return
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(getattr(row, column)) for column in columns))
    console.print(table)
