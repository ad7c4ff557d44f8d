"""``muster token`` as a user runs it: the secret shown once works, a revoked one does not."""

import json

from fastapi.testclient import TestClient

from muster.api.app import create_app
from muster.cmdb.db import Database
from tests.cli.test_cli import add_sites, muster


def test_token_create_list_revoke_controls_api_access(database: Database) -> None:
    created = muster(database, "token", "create", "helpdesk", "--scope", "read")
    secret = created.stdout.strip().splitlines()[-1]
    listed = muster(database, "token", "list", "--format", "json")
    client = TestClient(create_app(database))
    before = client.get("/api/v1/assets", headers={"Authorization": f"Bearer {secret}"})
    revoked = muster(database, "token", "revoke", "helpdesk")
    after = client.get("/api/v1/assets", headers={"Authorization": f"Bearer {secret}"})

    assert created.returncode == 0, created.stderr
    assert secret.startswith("mst_")
    assert len(secret) == 47
    (row,) = json.loads(listed.stdout)
    assert (row["name"], row["scopes"], row["sites"], row["revoked_at"]) == (
        "helpdesk",
        ["read"],
        [],
        None,
    )
    assert secret not in listed.stdout
    assert before.status_code == 200
    assert revoked.returncode == 0
    assert after.status_code == 401


def test_token_create_binding_a_read_token_to_a_site_is_refused(database: Database) -> None:
    add_sites(database)

    result = muster(database, "token", "create", "x", "--scope", "read", "--site", "lincoln-es")

    message = " ".join(result.stderr.split())
    assert result.returncode == 1
    assert message == (
        "error: only an ingest-only token can be bound to sites: drop --site, or give "
        "--scope ingest alone"
    )


def test_token_create_unknown_scope_is_refused(database: Database) -> None:
    result = muster(database, "token", "create", "x", "--scope", "write")

    assert result.returncode == 1
    assert "scope 'write' is not known: use read, ingest, admin" in result.stderr
