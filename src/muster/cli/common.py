"""What every ``muster`` command shares: the console, the database, error reporting."""

import logging
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from typer.core import TyperGroup

from muster.cmdb.errors import MusterError

console = Console()
error_console = Console(stderr=True)


class MusterGroup(TyperGroup):
    """Turns Muster's own exceptions into clean error messages instead of tracebacks."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MusterError as exc:
            error_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(code=1) from exc


def new_app(help_text: str) -> typer.Typer:
    """Return a sub-command group with Muster's conventions."""
    return typer.Typer(
        help=help_text,
        cls=MusterGroup,
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
    )


@dataclass
class AppState:
    """Options of the top-level command, handed to every sub-command."""

    database_url: str | None = None


def state(ctx: typer.Context) -> AppState:
    """Return the top-level options from any command's context."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def open_database(ctx: typer.Context) -> Any:
    """Open the CMDB the top-level options name, creating its schema if it is empty."""
    from muster.cmdb.db import Database

    database = Database(state(ctx).database_url)
    database.ensure_schema()
    return database


def setup_logging(verbose: int) -> None:
    """Send log records to stderr through rich; -v for info, -vv for debug."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level,
        format="%(name)s: %(message)s",
        handlers=[RichHandler(console=error_console, show_path=False, markup=False)],
    )
