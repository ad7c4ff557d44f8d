"""Commands are loaded when used: the agent on a PC does not pay for the CMDB's code."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from muster.cli.main import COMMANDS, app, load_command
from muster.cmdb.db import Database
from muster.cmdb.sites import upsert_site


def _modules_loaded_by(*arguments: str, env: dict[str, str] | None = None) -> set[str]:
    """Run ``muster ARGUMENTS`` in a fresh interpreter; return the modules it imported.

    They are listed on the way out (atexit): ``main`` does not return.
    """
    program = (
        "import atexit, sys\n"
        "from muster.cli.main import main\n"
        "atexit.register(lambda: print('\\n'.join(sorted(sys.modules)), file=sys.stderr))\n"
        f"sys.argv = ['muster', *{list(arguments)!r}]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return set(done.stderr.split())


def test_agent_run_loads_neither_the_cmdb_nor_other_commands() -> None:
    loaded = _modules_loaded_by("agent", "run", "--help")

    assert "muster.cli.agent" in loaded
    heavy = {"sqlalchemy", "alembic", "pandas", "fastapi", "scapy", "netaddr", "click"}
    assert heavy & loaded == set()
    assert {name for name in loaded if name.startswith("muster.cli.")} == {
        "muster.cli.agent",
        "muster.cli.common",
        "muster.cli.main",
    }


def test_an_inventory_written_to_a_file_loads_no_rich(tmp_path: Path) -> None:
    written = tmp_path / "inventory.json"

    loaded = _modules_loaded_by("agent", "run", "--output", str(written))

    assert json.loads(written.read_text())[0]["source"] == "agent"
    assert {name for name in loaded if name.split(".")[0] == "rich"} == set()


def test_a_json_sweep_loads_neither_rich_nor_the_code_of_techniques_it_does_not_run(
    tmp_path: Path, sqlite_template: Path
) -> None:
    shutil.copy(sqlite_template, tmp_path / "muster.db")
    url = f"sqlite:///{tmp_path / 'muster.db'}"
    database = Database(url)
    with database.session(writer=True) as session:
        site = upsert_site(session, "loop", name="Loopback", subnets=["127.0.9.0/29"])
        site.techniques = ["arp"]  # nothing to ARP on loopback: no packet goes out
    database.dispose()

    loaded = _modules_loaded_by(
        "sweep", "--site", "loop", "--format", "json", env={"MUSTER_DATABASE_URL": url}
    )

    assert "muster.collector.techniques.arp" in loaded
    unused = {
        "rich",  # no progress bars, no table
        "alembic",  # the schema is current
        "pandas",
        "fastapi",
        "pysnmp",
        "muster.cmdb.views",
        "muster.cmdb.tickets",
        "muster.collector.snmp",
        "muster.collector.techniques.nmap_scan",
        "muster.collector.techniques.snmp_technique",
        "muster.collector.techniques.tcp",
        "muster.collector.techniques.icmp",
    }
    assert {name for name in loaded if name in unused or name.split(".")[0] in unused} == set()
    assert {name for name in loaded if name.startswith("muster.cli.")} == {
        "muster.cli.common",
        "muster.cli.main",
        "muster.cli.output",
        "muster.cli.sweep",
    }


def test_top_level_help_lists_every_command_in_order() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    listed = [
        line.split()[1]
        for line in result.output.splitlines()
        if line.startswith("│ ") and line.split()[1] in COMMANDS
    ]
    assert listed == list(COMMANDS)


def test_every_command_loads_under_its_name() -> None:
    for name in COMMANDS:
        assert load_command(name).name == name


def test_unknown_command_is_refused_with_its_name() -> None:
    result = CliRunner().invoke(app, ["sweeep"])

    assert result.exit_code == 2
    assert "No such command 'sweeep'" in result.output
