"""`muster site`: adding, applying and showing sites, never printing a secret."""

from pathlib import Path

from typer.testing import CliRunner

from muster.cli.main import app
from muster.cmdb.db import Database

runner = CliRunner()


def muster(database: Database, *args: str) -> tuple[int, str]:
    """Run a command; return its exit code and output with rich's line wrapping undone."""
    result = runner.invoke(app, ["--database-url", database.url, *args])
    return result.exit_code, " ".join(result.output.split())


def test_site_add_keeps_community_but_never_prints_it(database: Database) -> None:
    code, out = muster(
        database,
        "site", "add", "lincoln-es", "--name", "Lincoln Elementary",
        "--subnet", "10.10.0.0/22", "--exclude", "10.10.0.1",
        "--snmp-community", "s3cret-community", "--priority", "10", "--rate-limit", "150",
    )  # fmt: skip
    assert (code, out) == (0, "site lincoln-es (Lincoln Elementary): 10.10.0.0/22")

    shown = [muster(database, "site", "show", "lincoln-es")[1]]
    shown.append(muster(database, "site", "list", "--format", "json")[1])
    shown.append(muster(database, "site", "list", "--format", "csv")[1])

    assert all("s3cret" not in text for text in shown)
    assert "snmp: v2c community given on the command line" in shown[0]
    assert "rate limit: 150 packets/s; priority 10; public space refused" in shown[0]
    assert "excluded: 10.10.0.1/32" in shown[0]


def test_site_add_refuses_public_subnet_without_allow_public(database: Database) -> None:
    muster(database, "site", "add", "dmz", "--subnet", "10.9.0.0/24")

    code, out = muster(database, "site", "add", "dmz", "--subnet", "9.9.9.0/24")
    shown = muster(database, "site", "show", "dmz")[1]
    allowed = muster(database, "site", "add", "dmz", "--subnet", "9.9.9.0/24", "--allow-public")

    assert code == 1
    assert "subnet 9.9.9.0/24 is public address space: allow public space" in out
    assert "subnets: 10.9.0.0/24 excluded" in shown
    assert allowed == (0, "site dmz (dmz): 10.9.0.0/24, 9.9.9.0/24")


def test_site_add_refuses_an_unknown_profile_naming_the_choices(database: Database) -> None:
    code, out = muster(database, "site", "add", "x", "--subnet", "10.9.0.0/24", "--profile", "max")

    assert code == 1
    assert out == "error: profile 'max' is not known: use one of liveness, quick, standard, full"


def test_site_apply_writes_the_config_and_says_which_sites(
    database: Database, tmp_path: Path
) -> None:
    config = tmp_path / "muster.toml"
    config.write_text(
        '[[site]]\ncode = "roosevelt-ms"\nname = "Roosevelt Middle"\n'
        'subnets = ["10.20.0.0/22"]\nschedule = "0 6 * * 1-5"\n'
    )

    code, out = muster(database, "site", "apply", "--config", str(config))
    shown = muster(database, "site", "show", "roosevelt-ms")[1]

    assert (code, out) == (0, f"applied {config}: roosevelt-ms")
    assert "schedule 0 6 * * 1-5" in shown


def test_sweep_without_sites_names_how_to_add_one(database: Database) -> None:
    code, out = muster(database, "sweep", "--all")

    assert code == 1
    assert "no site has a subnet, so there is nothing to sweep" in out
