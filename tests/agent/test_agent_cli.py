"""The ``muster agent`` command: its fact reference, clear errors, and a small install."""

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from muster.agent.facts import TABLES, fact_specs
from tests.agent.conftest import agent_environment, run_agent

# Run the agent with the server side made unimportable, as on a host that has
# only the base install (no `server` extra).
WITHOUT_SERVER_SIDE = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("sqlalchemy", "alembic", "psycopg", "fastapi", "pandas"):
            raise ImportError(f"{name} is not installed with the agent")
        return None
sys.meta_path.insert(0, Refuse())
from muster.cli.main import main
sys.argv = ["muster", "agent", "run", "--output", sys.argv[1]]
main()
"""


def test_agent_runs_without_the_server_side_installed(tmp_path: Path) -> None:
    output = tmp_path / "host.json"

    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_SERVER_SIDE, str(output)],
        capture_output=True,
        text=True,
        env=agent_environment(),
        check=False,
    )

    assert result.returncode == 0, result.stderr
    (observation,) = json.loads(output.read_text())
    assert observation["source"] == "agent"


def test_every_fact_is_declared_once_with_a_type_and_a_description() -> None:
    specs = fact_specs()

    names = [(spec.table, spec.name) for spec in specs]
    assert len(names) == len(set(names))
    assert len(specs) == sum(len(fields(cls)) for cls in TABLES.values())
    assert all(spec.description.endswith(".") for spec in specs)
    by_name = {(spec.table, spec.name): spec for spec in specs}
    assert by_name[("host", "memory_bytes")].type == "integer"
    assert by_name[("host", "memory_bytes")].unit == "bytes"
    assert by_name[("host", "interfaces")].type == "table interfaces"
    assert by_name[("interfaces", "addresses")].type == "list of text"
    assert by_name[("disks", "media")].type == "text (hdd, ssd, nvme, virtual, removable, unknown)"


def test_facts_command_prints_the_reference_of_every_fact() -> None:
    result = run_agent("agent", "facts", "--format", "json")

    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert [(f["table"], f["name"]) for f in printed] == [
        (spec.table, spec.name) for spec in fact_specs()
    ]


def test_run_without_output_or_server_says_what_to_give(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text("")

    result = run_agent("agent", "run", "--config", str(config))

    assert result.returncode == 1
    assert "nothing to do: give --output FILE, or --server URL" in result.stderr


def test_run_with_a_server_that_is_not_a_url_names_it(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text("")

    result = run_agent(
        "agent",
        "run",
        "--config",
        str(config),
        "--server",
        "muster.example.org",
        "--token",
        "t",
        "--spool-dir",
        str(tmp_path / "spool"),
    )

    assert result.returncode == 1
    assert "server 'muster.example.org' is not a URL: expected https://HOST[:PORT]" in (
        " ".join(result.stderr.split())
    )
