"""The ``muster`` command: one entry point for every part of Muster.

Each command or command group lives in its own module, named in ``COMMANDS``
and imported only when it runs (or when the top-level help lists them all):
``muster agent run`` on a school PC should not pay for loading the CMDB's
reports, sweeps and API. Heavy imports (SQLAlchemy, pandas, scapy) also wait
inside the commands that need them.
"""

import atexit
import os
import sys
import threading
from importlib import import_module
from typing import TYPE_CHECKING, Any, NoReturn

import typer
import typer.main

from muster import __version__
from muster.cli.common import (
    AppState,
    MusterGroup,
    pause_collector,
    resume_collector,
    setup_logging,
)

if TYPE_CHECKING:
    # typer carries its own copy of click; the classes its commands are made of.
    from typer._click import Command, Context

# Name on the command line -> (module, attribute): a ``typer.Typer`` group or a
# command function. The order is the order of ``muster --help``.
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("muster.cli.database", "db_app"),
    "schema": ("muster.cli.database", "schema_app"),
    "ingest": ("muster.cli.ingest", "ingest_command"),
    "assets": ("muster.cli.assets", "assets_app"),
    "conflicts": ("muster.cli.assets", "conflicts_app"),
    "site": ("muster.cli.sites", "site_app"),
    "agent": ("muster.cli.agent", "agent_app"),
    "token": ("muster.cli.tokens", "token_app"),
    "serve": ("muster.cli.serve", "serve_command"),
    "requirement": ("muster.cli.requirements", "requirement_app"),
    "report": ("muster.cli.reports", "report_app"),
    "ticket": ("muster.cli.tickets", "ticket_app"),
    "events": ("muster.cli.tickets", "events_app"),
    "sweep": ("muster.cli.sweep", "sweep_command"),
    "sweeps": ("muster.cli.sweep", "sweeps_app"),
    "schedules": ("muster.cli.sweep", "schedules_app"),
    "lab": ("muster.cli.lab", "lab_app"),
}


def load_command(name: str) -> "Command":
    """Import the module of command ``name`` and return it as a click command.

    It is built exactly as ``add_typer`` or ``command`` on the top-level app
    would build it, through a throw-away parent.
    """
    module, attribute = COMMANDS[name]
    target: Any = getattr(import_module(module), attribute)
    parent = typer.Typer(add_completion=False)
    if isinstance(target, typer.Typer):
        parent.add_typer(target, name=name)
    else:
        parent.command(name)(target)
    group = typer.main.get_group(parent)
    return group.commands[name]


class LazyMusterGroup(MusterGroup):
    """The top-level group: it knows its commands by name and loads one when it is used."""

    def list_commands(self, ctx: "Context") -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: "Context", cmd_name: str) -> "Command | None":
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            self.add_command(load_command(cmd_name), cmd_name)
        return self.commands[cmd_name]


app = typer.Typer(
    name="muster",
    help=(
        "Find out what IT equipment each site has, keep it in one CMDB, and tell each "
        "site what it still needs.\n\n"
        "The CMDB is a SQLite file under ~/.local/share/muster unless "
        "[bold]MUSTER_DATABASE_URL[/] or --database-url names another "
        "(postgresql://user@host/db)."
    ),
    cls=LazyMusterGroup,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"muster {__version__}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="MUSTER_DATABASE_URL",
        help="CMDB database: sqlite:///PATH or postgresql://USER@HOST/DB.",
        show_envvar=True,
    ),
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="Log what happens: -v for steps, -vv for detail."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Options shared by every command."""
    # The command's module is loaded: the start-up pause of the collector ends.
    resume_collector()
    setup_logging(verbose)
    ctx.obj = AppState(database_url=database_url)


def main() -> NoReturn:
    """Run the ``muster`` command, then end the process (see ``end``)."""
    pause_collector()
    try:
        app()
    except SystemExit as exc:
        end(exc.code)
    end(0)


def end(code: object) -> NoReturn:
    """End the process with ``code`` as Python would, but without its teardown.

    On its way out Python clears every module and frees their objects one by
    one: a tenth of a second after `muster sweep` is done, for nothing. When
    no thread but this one is left to wait for, this runs what Python would
    (the atexit functions: logging's last flush, the CMDB's connections
    closed), flushes stdout and stderr, and leaves with ``os._exit``.
    Otherwise, or when the streams cannot be flushed, Python exits its usual
    way.
    """
    status = 0 if code is None else code
    waiting = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
    ]
    if not isinstance(status, int) or waiting:
        raise SystemExit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None
    os._exit(status)
