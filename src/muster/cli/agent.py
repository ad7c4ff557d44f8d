"""``muster agent``: inventory this host and deliver it, also through server outages.

Only the agent package and the Observation schema are imported here, never the
server side, so the agent runs from the base install (no ``server`` extra).
"""

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import orjson
import typer

from muster.cli.common import console, error_console, new_app
from muster.cmdb.errors import ConfigurationError

agent_app = new_app(
    "Inventory this host (hardware, OS, software) and send it to Muster, "
    "keeping it on disk while the server cannot be reached."
)

# Exit status of `muster agent run` when the inventory waits in the spool (EX_TEMPFAIL).
EXIT_SPOOLED = 75

_CONFIG = typer.Option(
    None, "--config", help="Config file (TOML). Default: /etc/muster/agent.toml as root."
)
_SERVER = typer.Option(None, "--server", help="Muster server, e.g. https://muster.example.org.")
_TOKEN = typer.Option(
    None,
    "--token",
    envvar="MUSTER_AGENT_TOKEN",
    show_envvar=True,
    help="Ingest token. Prefer --token-file: a command line can be seen by other users.",
)
_TOKEN_FILE = typer.Option(None, "--token-file", help="File holding the ingest token.")
_SITE = typer.Option(None, "--site", help="Site code this host belongs to, e.g. lincoln-es.")
_CA_FILE = typer.Option(
    None, "--ca-file", help="PEM file of the CA that signed the server's certificate."
)
_SPOOL_DIR = typer.Option(
    None, "--spool-dir", help="Where inventories wait for the server (default by user)."
)
_RETRIES = typer.Option(None, "--retries", help="Tries per inventory before it waits (4).")
_RETRY_DELAY = typer.Option(
    None, "--retry-delay", help="First wait between tries, doubled each time (1s)."
)


def _settings(config: Path | None, **overrides: Any) -> Any:
    from muster.agent.config import load_settings

    return load_settings(config, overrides)


@agent_app.command("run")
def run_command(
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write the inventory to this file ('-': standard output) instead of sending it.",
    ),
    server: str | None = _SERVER,
    token: str | None = _TOKEN,
    token_file: Path | None = _TOKEN_FILE,
    site: str | None = _SITE,
    config: Path | None = _CONFIG,
    ca_file: Path | None = _CA_FILE,
    spool_dir: Path | None = _SPOOL_DIR,
    retries: int | None = _RETRIES,
    retry_delay: str | None = _RETRY_DELAY,
) -> None:
    """Take one inventory of this host and send it to the server (or write it to a file).

    The inventory is spooled on disk first and sent with the ones an earlier
    run could not deliver, oldest first. Each carries an idempotency key, so
    sending one twice never makes a second record.

    Exit status: 0 delivered (or written); 75 the server could not be reached
    and the inventories wait in the spool for the next run; 1 an error (a
    wrong token, a refused inventory, a bad setting), explained on stderr.
    """
    from muster.agent.runner import take_inventory

    settings = _settings(
        config,
        server=server,
        token=token,
        token_file=token_file,
        site=site,
        ca_file=ca_file,
        spool_dir=spool_dir,
        retries=retries,
        retry_delay=retry_delay,
    )
    if output is not None:
        _write_output(take_inventory(site=settings.site), output)
        return
    if not settings.server:
        raise ConfigurationError(
            "nothing to do: give --output FILE, or --server URL with --token-file (or a "
            "config file that names them)"
        )
    _deliver(settings, take_inventory(site=settings.site))


def _write_output(observation: Any, output: Path) -> None:
    from muster.agent.spool import write_atomically

    text = orjson.dumps(
        [observation.to_json_dict()], option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
    )
    text += b"\n"
    if str(output) == "-":
        sys.stdout.write(text.decode())
        return
    write_atomically(output, text)
    # Plain text: a scheduled agent's one line of output goes to a log, not a terminal.
    typer.echo(
        f"wrote the inventory of {observation.collector or 'this host'} to {output}", err=True
    )


def _deliver(settings: Any, observation: Any) -> None:
    from muster.agent.errors import ServerUnavailableError
    from muster.agent.runner import flush, open_sender, open_spool, spool_inventory

    spool = open_spool(settings)
    spool_inventory(spool, observation)
    with open_sender(settings) as sender:
        report = flush(spool, sender)
    for receipt in report.delivered:
        replay = " (the server had it already)" if receipt.replayed else ""
        typer.echo(f"delivered inventory {receipt.key[:12]}: {receipt.asset}{replay}")
    if report.busy:
        typer.echo(f"spooled; another agent is sending the {report.pending} waiting")
    if isinstance(report.problem, ServerUnavailableError):
        error_console.print(
            f"[yellow]warning:[/] {report.problem}; {report.pending} inventories wait in "
            f"{settings.spool_dir} and will be sent on the next run",
            highlight=False,
        )
        raise typer.Exit(code=EXIT_SPOOLED)
    if report.problem is not None:
        raise report.problem
    if report.rejected:
        raise ConfigurationError(
            f"{report.rejected} inventories were refused by the server and moved to "
            f"{settings.spool_dir.name}-rejected next to the spool; the warnings above say why"
        )


@agent_app.command("daemon")
def daemon_command(
    interval: str | None = typer.Option(
        None, "--interval", help="How often to take an inventory: 90, 15m, 1h (default 1h)."
    ),
    server: str | None = _SERVER,
    token: str | None = _TOKEN,
    token_file: Path | None = _TOKEN_FILE,
    site: str | None = _SITE,
    config: Path | None = _CONFIG,
    ca_file: Path | None = _CA_FILE,
    spool_dir: Path | None = _SPOOL_DIR,
    retries: int | None = _RETRIES,
    retry_delay: str | None = _RETRY_DELAY,
) -> None:
    """Run as a service: an inventory every interval, the spool flushed as the server allows.

    While inventories wait, the spool is tried every flush_interval (5 min)
    between inventories. SIGTERM or Ctrl-C stops it between two steps.
    """
    from muster.agent.runner import run_daemon

    settings = _settings(
        config,
        interval=interval,
        server=server,
        token=token,
        token_file=token_file,
        site=site,
        ca_file=ca_file,
        spool_dir=spool_dir,
        retries=retries,
        retry_delay=retry_delay,
    )
    if not settings.server:
        raise ConfigurationError("the daemon needs a server: give --server or a config file")
    settings.resolve_token()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_daemon(settings, stop)


@agent_app.command("facts")
def facts_command(
    output_format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """List every fact the agent reports: table, name, type, unit and meaning."""
    from dataclasses import asdict

    from rich.table import Table

    from muster.agent.facts import TABLES, fact_specs

    specs = fact_specs()
    if output_format == "json":
        typer.echo(json.dumps([asdict(spec) for spec in specs], indent=2))
        return
    if output_format != "table":
        raise ConfigurationError(f"--format {output_format!r} is not known: use table or json")
    for table_name, cls in TABLES.items():
        table = Table(title=f"{table_name}: {cls.__doc__}", title_justify="left")
        for column in ("fact", "type", "unit", "description"):
            table.add_column(column)
        for spec in specs:
            if spec.table == table_name:
                table.add_row(spec.name, spec.type, spec.unit or "", spec.description)
        console.print(table)


@agent_app.command("show")
def show_command() -> None:
    """Print every fact of this host as JSON, also those the Observation has no field for."""
    from dataclasses import asdict

    from muster.agent.capture import capture
    from muster.agent.collect import gather_facts

    facts = asdict(gather_facts(capture()))
    typer.echo(json.dumps(facts, indent=2, default=str))


@agent_app.command("record")
def record_command(
    directory: Path = typer.Argument(..., help="Directory to write the recording to."),
) -> None:
    """Record what the agent reads on this host (files, commands, psutil) for replay.

    The recording holds serial numbers, addresses and the package list of
    the host; share it only with people who may see those.
    """
    from muster.agent.capture import capture

    snapshot = capture()
    snapshot.save(directory)
    console.print(
        f"recorded {len(snapshot.files)} files and {len(snapshot.commands)} command outputs "
        f"in {directory}"
    )
