"""Commands are loaded when used: the agent on a PC does not pay for the CMDB's code."""

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from muster.cli.main import COMMANDS, app, load_command


def _modules_loaded_by(*arguments: str) -> set[str]:
    """Run ``muster ARGUMENTS`` in a fresh interpreter; return the modules it imported."""
    program = (
        "import sys\n"
        "from muster.cli.main import main\n"
        f"sys.argv = ['muster', *{list(arguments)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
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
