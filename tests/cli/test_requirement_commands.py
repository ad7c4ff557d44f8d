"""``muster requirement``, ``muster ticket`` and ``muster events`` as a user types them."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from muster.cli.main import app
from muster.cmdb.db import Database
from tests.reports.district import build_district

EXAMPLE = Path(__file__).parents[2] / "examples" / "district" / "requirements.toml"


@pytest.fixture
def cli(database: Database) -> CliRunner:
    return CliRunner(env={"MUSTER_DATABASE_URL": database.url, "COLUMNS": "200"})


def _run(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_requirement_add_then_list_shows_the_line_with_its_spec(cli: CliRunner) -> None:
    _run(cli, "site", "add", "lincoln-es", "--name", "Lincoln Elementary")

    added = _run(cli, "requirement", "add", "lincoln-es", "--kind", "desktop", "--count", "30",
                 "--label", "lab", "--min-memory-gb", "8", "--os-family", "Windows")  # fmt: skip

    assert added.strip() == "requirement #1: lincoln-es needs 30 workstation (>= 8 GiB, windows)"
    [line] = json.loads(_run(cli, "requirement", "list", "--format", "json"))
    assert (line["kind"], line["label"], line["count"], line["spec"]) == (
        "workstation", "lab", 30, ">= 8 GiB, windows",
    )  # fmt: skip


def test_requirement_add_names_every_bad_option(cli: CliRunner) -> None:
    _run(cli, "site", "add", "lincoln-es")

    result = cli.invoke(app, ["requirement", "add", "lincoln-es", "--kind", "toaster",
                              "--count", "0"])  # fmt: skip

    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "--kind: 'toaster' is not an asset kind: expected one of server," in message
    assert "--count: Input should be greater than or equal to 1 (got 0)" in message


def test_requirement_apply_example_file_then_template_apply_to_another_site(
    cli: CliRunner,
) -> None:
    for code in ("lincoln-es", "roosevelt-ms", "district-office", "grant-es"):
        _run(cli, "site", "add", code)

    _run(cli, "requirement", "apply", str(EXAMPLE))
    _run(cli, "requirement", "template", "apply", "elementary", "grant-es:classroom=18")

    lines = json.loads(_run(cli, "requirement", "list", "--site", "grant-es", "--format", "json"))
    counts = {(line["kind"], line["label"]): line["count"] for line in lines}
    assert counts[("projector", None)] == 18
    assert counts[("workstation", "lab")] == 30
    assert counts[("workstation", "classrooms")] == 18
    templates = json.loads(_run(cli, "requirement", "template", "list", "--format", "json"))
    elementary = next(t for t in templates if t["name"] == "elementary")
    assert elementary["sites"] == {"grant-es": {"classroom": 18}, "lincoln-es": {"classroom": 12}}


def test_ticket_link_by_site_and_kind_shows_in_gap_json(
    cli: CliRunner, database: Database
) -> None:
    build_district(database)

    _run(cli, "ticket", "link", "jira", "IT-7", "--site", "south-es", "--kind", "printer",
         "--status", "open")  # fmt: skip
    _run(cli, "ticket", "set-status", "1", "in progress")

    document = json.loads(_run(cli, "report", "gaps", "--as-of", "2026-11-12T08:00", "-f", "json"))
    printer = next(line for line in document["lines"] if line["kind"] == "printer")
    assert printer["tickets"] == [
        {"system": "jira", "key": "IT-7", "url": None, "status": "in progress"}
    ]
    [link] = json.loads(_run(cli, "ticket", "list", "--site", "south-es", "--format", "json"))
    assert (link["site"], link["kind"], link["status"]) == ("south-es", "printer", "in progress")


def test_ticket_link_to_a_whole_site_shows_on_each_of_its_lines(
    cli: CliRunner, database: Database
) -> None:
    build_district(database)

    _run(cli, "ticket", "link", "glpi", "88", "--site", "south-es")

    document = json.loads(_run(cli, "report", "gaps", "--as-of", "2026-11-12T08:00", "-f", "json"))
    south = [line for line in document["lines"] if line["site"] == "south-es"]
    assert [(line["kind"], [t["key"] for t in line["tickets"]]) for line in south] == [
        ("printer", ["88"]),
        ("workstation", ["88"]),
    ]


def test_ticket_link_to_two_targets_names_them_and_writes_nothing(cli: CliRunner) -> None:
    _run(cli, "site", "add", "lincoln-es")

    result = cli.invoke(app, ["ticket", "link", "jira", "IT-1", "--site", "lincoln-es",
                              "--requirement", "1"])  # fmt: skip

    assert result.exit_code == 1
    assert " ".join(result.output.split()) == (
        "error: a ticket links to exactly one of an asset (asset_id), a requirement line "
        "(requirement_id), or a site (site); got requirement_id and site"
    )
    assert _run(cli, "ticket", "list", "--format", "json").strip() == "[]"


def test_events_deliver_without_a_webhook_says_what_to_set(cli: CliRunner) -> None:
    result = CliRunner(env={**cli.env, "MUSTER_WEBHOOK_URL": ""}).invoke(
        app, ["events", "deliver"]
    )

    assert result.exit_code == 1
    assert "no webhook URL: set MUSTER_WEBHOOK_URL or give --url" in result.output
