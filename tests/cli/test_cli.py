"""The ``muster`` command as a user runs it: a real process, on SQLite and PostgreSQL."""

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from muster.cmdb.db import Database
from tests.conftest import backend_database

EXAMPLE = Path(__file__).parents[2] / "examples" / "district" / "observations.jsonl"
SITES = [
    ("lincoln-es", "10.10.0.0/22"),
    ("roosevelt-ms", "10.20.0.0/22"),
    ("district-office", "10.0.0.0/22"),
]
LIST_KEYS = {
    "id", "site", "kind", "status", "hostname", "vendor", "model", "serial", "os_name",
    "macs", "ips", "first_seen", "last_seen",
}  # fmt: skip


def muster(
    database: Database, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``muster`` against the test database, with a terminal wide enough to read."""
    env = {**os.environ, "MUSTER_DATABASE_URL": database.url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "muster", *args],
        capture_output=True, text=True, env=env, input=stdin, timeout=120, check=False,
    )  # fmt: skip


def add_sites(database: Database) -> Database:
    """Create the example district's sites through the command."""
    for code, subnet in SITES:
        result = muster(database, "site", "add", code, "--subnet", subnet)
        assert result.returncode == 0, result.stderr
    return database


@pytest.fixture
def district(database: Database) -> Database:
    """The example district's sites, before any Observation."""
    return add_sites(database)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Database]:
    """The example district ingested once, for tests that only read it."""
    folder = tmp_path_factory.mktemp("loaded")
    with backend_database(request.param, sqlite_template, folder) as database:
        add_sites(database)
        result = muster(database, "ingest", str(EXAMPLE))
        assert result.returncode == 0, result.stderr
        yield database


def test_ingest_dry_run_explains_each_decision_and_writes_nothing(district: Database) -> None:
    result = muster(district, "ingest", str(EXAMPLE), "--dry-run", "--format", "json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert len(report["decisions"]) == 38
    assert sum(1 for d in report["decisions"] if d["rule"] == "new") == 26
    listed = muster(district, "assets", "list", "--format", "json")
    assert json.loads(listed.stdout) == []


def test_ingest_of_the_example_district_leaves_one_asset_per_machine(loaded: Database) -> None:
    rows = json.loads(muster(loaded, "assets", "list", "--format", "json").stdout)

    assert len(rows) == 26
    assert set(rows[0]) == LIST_KEYS
    by_host = {row["hostname"]: row for row in rows if row["hostname"]}
    assert by_host["lab-pc-07"]["serial"] == "CZC8200007"
    assert by_host["vmhost-1"]["macs"] == ["b4:96:91:20:00:01", "f8:b1:56:10:00:01"]
    assert sorted(r["site"] for r in rows if r["hostname"] == "office-printer") == [
        "lincoln-es",
        "roosevelt-ms",
    ]
    conflicts = json.loads(muster(loaded, "conflicts", "list", "--format", "json").stdout)
    assert [(c["kind"], c["identifier_value"]) for c in conflicts] == [
        ("shared_mac", "00:e0:4c:68:07:11"),
        ("clone", "420f1b2c-3d4e-5f60-7182-93a4b5c6d7e8"),
    ]


def test_ingest_again_reports_every_observation_unchanged(loaded: Database) -> None:
    again = json.loads(muster(loaded, "ingest", str(EXAMPLE), "--format", "json").stdout)

    assert {d["outcome"] for d in again["decisions"]} == {"unchanged"}


@pytest.mark.parametrize(
    "reference",
    ["CZC8200007", "3C-D9-2B-10-00-07", "lab-pc-07", "lab-pc-07.lincoln.k12", "pc-temp-3"],
    ids=["serial", "mac", "hostname", "fqdn", "old-name"],
)
def test_assets_show_finds_by_any_identifier(loaded: Database, reference: str) -> None:
    result = muster(loaded, "assets", "show", reference, "--format", "json")

    assert result.returncode == 0, result.stderr
    detail = json.loads(result.stdout)
    assert (detail["hostname"], detail["serial"]) == ("lab-pc-07", "CZC8200007")
    assert [(h["field"], h["old"], h["new"]) for h in detail["history"][1:]] == [
        ("identifier", None, "hostname lab-pc-07"),
        ("hostname", "pc-temp-3", "lab-pc-07"),
        ("domain", None, "lincoln.k12"),
    ]


def test_assets_show_explains_where_a_kind_came_from(loaded: Database) -> None:
    result = muster(loaded, "assets", "show", "VNB3K12345")

    assert result.returncode == 0, result.stderr
    assert "printer: Printer-MIB prtGeneralPrinterName answered; port 9100 open" in result.stdout


def test_assets_show_unknown_reference_says_how_to_find_one(loaded: Database) -> None:
    result = muster(loaded, "assets", "show", "no-such-pc")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: no asset matches 'no-such-pc': give an asset id, serial, MAC, host name or "
        "address (`muster assets list` shows them)"
    )


def test_assets_list_filters_and_writes_csv(loaded: Database) -> None:
    result = muster(loaded, "assets", "list", "--site", "lincoln-es", "--kind", "printer",
                    "--format", "csv")  # fmt: skip

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["hostname"], r["serial"], r["macs"]) for r in rows] == [
        ("office-printer", "VNB3K12345", "3c:d9:2b:55:00:01")
    ]


def test_ingest_of_a_bad_file_lists_problems_and_keeps_what_is_stored(
    district: Database, tmp_path: Path
) -> None:
    muster(district, "ingest", str(EXAMPLE))
    bad = tmp_path / "bad.jsonl"
    good_line = next(line for line in EXAMPLE.read_text().splitlines() if '"arp"' in line)
    bad.write_text(good_line + "\n" + good_line.replace('"arp"', '"radar"') + "\n{\n")

    result = muster(district, "ingest", str(bad))

    assert result.returncode == 1
    assert f"{bad}: line 3: not valid JSON" in result.stderr
    assert f"{bad}: line 2: source: Input should be" in result.stderr
    rows = json.loads(muster(district, "assets", "list", "--format", "json").stdout)
    assert len(rows) == 26


def test_assets_set_status_marks_damaged_and_records_it(district: Database) -> None:
    muster(district, "ingest", str(EXAMPLE))

    result = muster(district, "assets", "set-status", "lab-pc-08", "damaged", "--note", "roof")

    assert result.stdout.strip().endswith("is now damaged")
    detail = json.loads(muster(district, "assets", "show", "lab-pc-08", "--format", "json").stdout)
    assert detail["status"] == "damaged"
    assert (detail["history"][-1]["field"], detail["history"][-1]["new"]) == ("status", "damaged")


def test_schema_observation_prints_the_published_json_schema(loaded: Database) -> None:
    result = muster(loaded, "schema", "observation")

    schema = json.loads(result.stdout)
    assert schema["properties"]["schema"]["const"] == "muster.observation/1"


def test_site_add_refuses_overlapping_subnet(loaded: Database) -> None:
    result = muster(loaded, "site", "add", "annex", "--subnet", "10.10.2.0/24")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: subnet 10.10.2.0/24 overlaps 10.10.0.0/22 of site 'lincoln-es': an address "
        "must belong to one site; remove it there first or give a narrower subnet"
    )


def test_a_command_ends_with_its_status_and_messages(tmp_path: Path) -> None:
    env = {**os.environ, "MUSTER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "muster", *args]
        return subprocess.run(argv, capture_output=True, text=True, env=env, check=False)

    version = run("--version")
    refused = run("sweep")
    wrong = run("sweep", "--retries", "-1")

    assert (version.returncode, version.stdout) == (0, "muster 0.1.0\n")
    assert refused.returncode == 1
    assert "say which sites to sweep" in refused.stderr
    assert wrong.returncode == 2
    assert "--retries" in wrong.stderr


def test_a_command_folds_sqlite_write_ahead_log_back_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "muster.db"
    env = {**os.environ, "MUSTER_DATABASE_URL": f"sqlite:///{path}"}

    done = subprocess.run(
        [sys.executable, "-m", "muster", "site", "add", "lab", "--subnet", "10.77.9.0/24"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["muster.db"]


END_WITH_A_THREAD = """
import sys, threading, time
from pathlib import Path
from muster.cli.main import end

def late() -> None:
    time.sleep(0.3)
    Path(sys.argv[1]).write_text("written")

threading.Thread(target=late).start()
print("printed", end="")
end(3)
"""


def test_ending_waits_for_a_thread_still_running_as_python_would(tmp_path: Path) -> None:
    written = tmp_path / "late.txt"

    done = subprocess.run(
        [sys.executable, "-c", END_WITH_A_THREAD, str(written)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert (done.returncode, done.stdout) == (3, "printed")
    assert written.read_text() == "written"


def test_a_sweep_shown_as_a_table_draws_its_progress_then_its_record(tmp_path: Path) -> None:
    env = {**os.environ, "MUSTER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "COLUMNS": "100"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "muster", *args]
        return subprocess.run(argv, capture_output=True, text=True, env=env, check=False)

    run("site", "add", "loop", "--name", "Loopback", "--subnet", "127.0.9.0/29")
    # Nothing to ARP on loopback: no packet goes out.
    done = run("sweep", "--site", "loop", "--techniques", "arp")

    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0].startswith("loop liveness ━")
    assert "│ loop │ 1     │ completed │ 6       │ 0     │ 0            │ 0      │" in lines


def test_a_large_ingest_shown_as_a_table_draws_its_progress_then_its_counts(
    tmp_path: Path,
) -> None:
    # From 5,000 Observations on, ingest shows a progress bar.
    path = tmp_path / "arp.jsonl"
    lines = (
        json.dumps(
            {
                "schema": "muster.observation/1",
                "source": "arp",
                "observed_at": "2026-11-02T08:00:00Z",
                "identifiers": {"macs": [f"00:1b:21:00:{n >> 8:02x}:{n & 255:02x}"]},
            }
        )
        for n in range(5000)
    )
    path.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "MUSTER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}

    done = subprocess.run(
        [sys.executable, "-m", "muster", "ingest", str(path)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip

    assert (done.returncode, done.stderr) == (0, "")
    assert "│    5000 │       0 │         0 │        0 │" in done.stdout.splitlines()


def test_ingest_help_gives_how_often_a_long_file_is_committed() -> None:
    from typer.testing import CliRunner

    from muster.cli.main import app
    from muster.cmdb.ingest import COMMIT_EVERY

    result = CliRunner().invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    assert f"committed every {COMMIT_EVERY:,}" in " ".join(result.output.split())
