"""A requirement line is checked alike by the API, the CLI and the requirements file.

Each bad value is refused at every door with the same message, naming the
field (or the option) and the value given, and nothing is written.
"""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from muster.cli.main import app
from muster.cmdb.db import Database
from muster.cmdb.errors import ConfigurationError
from muster.cmdb.requirements_file import load_requirements_file
from tests.api.conftest import Tokens, auth

KINDS = (
    "server, workstation, laptop, switch, router, firewall, access_point, printer, ups, phone, "
    "camera, projector, storage"
)
AT_LEAST_1 = "Input should be greater than or equal to 1"

# field, value as JSON and TOML give it, as typed on the command line, the message,
# and what the CLI and the file add after it (the value, unless the message quotes it).
CASES = [
    ("count", 0, "0", AT_LEAST_1, " (got 0)"),
    ("min_cores", 0, "0", AT_LEAST_1, " (got 0)"),
    ("min_memory_gb", 0.0, "0", "Input should be greater than 0", " (got 0.0)"),
    ("max_age_years", 0, "0", AT_LEAST_1, " (got 0)"),
    ("os_family", "beos", "beos",
     "'beos' is not an OS family: expected one of windows, macos, chromeos, ios, android, "
     "linux, bsd", ""),
    ("kind", "toaster", "toaster", f"'toaster' is not an asset kind: expected one of {KINDS}", ""),
    ("kind", "unknown", "unknown",
     f"'unknown' is not a kind a site can need: expected one of {KINDS}", ""),
]  # fmt: skip
IDS = ["zero-count", "zero-cores", "zero-memory", "zero-age", "no-such-os-family",
       "no-such-kind", "unknown-kind"]  # fmt: skip


def _line(field: str, value: object) -> dict[str, object]:
    return {"kind": "workstation", "count": 1, field: value}


@pytest.mark.parametrize(("field", "value", "typed", "message", "suffix"), CASES, ids=IDS)
def test_create_requirement_with_bad_value_is_422_naming_field_and_value(
    client: TestClient, tokens: Tokens, field: str, value: object, typed: str, message: str,
    suffix: str,
) -> None:  # fmt: skip
    body = {"site": "lincoln-es", **_line(field, value)}

    response = client.post("/api/v1/requirements", json=body, headers=auth(tokens.admin))

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": field, "message": message, "value": value}]
    assert client.get("/api/v1/requirements", headers=auth(tokens.read)).json()["total"] == 0


@pytest.mark.parametrize(("field", "value", "typed", "message", "suffix"), CASES, ids=IDS)
def test_requirement_add_with_bad_value_names_option_and_value(
    database: Database, tokens: Tokens, field: str, value: object, typed: str, message: str,
    suffix: str,
) -> None:  # fmt: skip
    cli = CliRunner(env={"MUSTER_DATABASE_URL": database.url, "COLUMNS": "200"})
    options = {"kind": "workstation", "count": "1", field: typed}
    args = [
        part for name, text in options.items() for part in (f"--{name.replace('_', '-')}", text)
    ]

    result = cli.invoke(app, ["requirement", "add", "lincoln-es", *args])

    assert result.exit_code == 1
    shown = " ".join(result.output.split())
    assert shown == f"error: --{field.replace('_', '-')}: {message}{suffix}"
    listed = cli.invoke(app, ["requirement", "list", "--format", "json"])
    assert listed.output.strip() == "[]"


@pytest.mark.parametrize(("field", "value", "typed", "message", "suffix"), CASES, ids=IDS)
def test_requirements_file_with_bad_value_names_path_and_value(
    tmp_path: Path, field: str, value: object, typed: str, message: str, suffix: str
) -> None:
    path = tmp_path / "requirements.toml"
    # JSON's strings and integers are TOML's too.
    entries = ", ".join(f"{k} = {json.dumps(v)}" for k, v in _line(field, value).items())
    path.write_text(f"[sites.lincoln-es]\nrequirements = [ {{ {entries} }} ]\n")

    with pytest.raises(ConfigurationError) as caught:
        load_requirements_file(path)

    assert str(caught.value) == (
        f"{path}: sites.lincoln-es.requirements.0.{field}: {message}{suffix}"
    )


def test_requirements_file_with_unknown_field_names_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "requirements.toml"
    path.write_text(
        '[sites.lincoln-es]\nrequirements = [ { kind = "ups", count = 1, colour = 1 } ]\n'
    )

    with pytest.raises(ConfigurationError) as caught:
        load_requirements_file(path)

    assert str(caught.value) == f"{path}: sites.lincoln-es.requirements.0.colour: unknown field"
