"""Schemathesis against the live OpenAPI document of a running server.

Every operation is called with generated valid and invalid requests: the
server must never answer 5xx, and must answer only status codes, content
types and bodies its OpenAPI document declares.
"""

import subprocess
import sys
from pathlib import Path

from muster.cmdb.db import Database
from tests.api.conftest import LiveServer, make_tokens

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


def test_live_openapi_has_no_server_errors_and_no_undocumented_responses(
    live_server: LiveServer, tmp_path: Path
) -> None:
    database = Database(live_server.database_url)
    tokens = make_tokens(database)
    database.dispose()
    schemathesis = Path(sys.executable).with_name("schemathesis")

    run = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {tokens.admin}",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            "12",
            "--workers",
            "2",
            "--generation-deterministic",
            "--no-color",
            "--report-dir",
            str(tmp_path / "report"),
        ],
        cwd=tmp_path,  # schemathesis keeps a cache in its working folder
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    summary = run.stdout[run.stdout.find("SUMMARY") :]
    assert run.returncode == 0, run.stdout[-6000:] + live_server.log.read_text()[-3000:]
    assert "Tested: 35" in summary
