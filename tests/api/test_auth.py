"""Who may do what: every route but /health needs a token of the right scope."""

import pytest
from fastapi.testclient import TestClient

from muster.cmdb import tokencache
from muster.cmdb.db import Database
from muster.cmdb.tokens import list_tokens, revoke_token
from tests.api.conftest import (
    Tokens,
    auth,
    drop_server_connections,
    token_cache,
    token_change_heard,
)
from tests.conftest import postgresql_only

OBSERVATION = {
    "schema": "muster.observation/1",
    "source": "agent",
    "observed_at": "2026-11-02T08:00:00Z",
    "site": "lincoln-es",
    "identifiers": {"serial": "CZC1234", "hostname": "lab-pc-07"},
}

# (method, path, body): one route of each kind of access.
READ = ("GET", "/api/v1/assets", None)
INGEST = ("POST", "/api/v1/observations", [OBSERVATION])
ADMIN = ("POST", "/api/v1/sites", {"code": "new-es", "name": "New Elementary"})


@pytest.mark.parametrize(
    ("token", "route", "status"),
    [
        ("read", READ, 200),
        ("read", INGEST, 403),
        ("read", ADMIN, 403),
        ("ingest", READ, 403),
        ("ingest", INGEST, 200),
        ("ingest", ADMIN, 403),
        ("lincoln_ingest", READ, 403),
        ("lincoln_ingest", INGEST, 200),
        ("admin", READ, 200),
        ("admin", INGEST, 200),
        ("admin", ADMIN, 201),
    ],
    ids=lambda value: value if isinstance(value, str | int) else value[1].rsplit("/", 1)[1],
)
def test_scope_matrix_allows_only_what_each_token_may_do(
    client: TestClient, tokens: Tokens, token: str, route: tuple[str, str, object], status: int
) -> None:
    method, path, body = route
    response = client.request(method, path, json=body, headers=auth(getattr(tokens, token)))
    assert response.status_code == status, response.text
    if status == 403:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Forbidden"


def test_read_assets_without_token_is_401_with_bearer_challenge(
    client: TestClient, tokens: Tokens
) -> None:
    response = client.get("/api/v1/assets")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="muster"'
    assert response.json() == {
        "type": "https://muster.invalid/problems/not-authenticated",
        "title": "Not authenticated",
        "status": 401,
        "detail": "this needs an API token: send `Authorization: Bearer TOKEN` "
        "(create one with `muster token create NAME --scope read`)",
        "errors": [],
    }


def test_read_assets_with_unknown_token_is_401(client: TestClient, tokens: Tokens) -> None:
    response = client.get("/api/v1/assets", headers=auth("mst_not-a-real-token"))

    assert response.status_code == 401
    assert response.json()["detail"] == "the API token is not valid or was revoked"


def test_read_assets_with_revoked_token_is_401(
    client: TestClient, tokens: Tokens, database: Database
) -> None:
    assert client.get("/api/v1/assets", headers=auth(tokens.read)).status_code == 200
    with token_change_heard(client), database.session(writer=True) as session:
        revoke_token(session, "read")

    response = client.get("/api/v1/assets", headers=auth(tokens.read))

    assert response.status_code == 401


def test_lookup_with_revoked_token_is_401_on_the_next_request(
    client: TestClient, tokens: Tokens, database: Database
) -> None:
    path = "/api/v1/assets/lookup?serial=NONE"
    assert client.get(path, headers=auth(tokens.read)).status_code == 404
    with token_change_heard(client), database.session(writer=True) as session:
        revoke_token(session, "read")

    response = client.get(path, headers=auth(tokens.read))

    assert response.status_code == 401
    assert response.json()["detail"] == "the API token is not valid or was revoked"


def test_a_request_records_when_its_token_was_used(
    client: TestClient, tokens: Tokens, database: Database
) -> None:
    client.get("/api/v1/assets", headers=auth(tokens.read))

    with database.session() as session:
        used = {token.name: token.last_used_at is not None for token in list_tokens(session)}

    assert used == {"admin": False, "ingest": False, "lincoln_ingest": False, "read": True}


def test_read_assets_with_token_as_basic_password_is_allowed(
    client: TestClient, tokens: Tokens
) -> None:
    response = client.get("/api/v1/assets", auth=("muster", tokens.read))

    assert response.status_code == 200


def test_health_needs_no_token(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_bound_ingest_token_ingesting_other_site_is_403_and_writes_nothing(
    client: TestClient, tokens: Tokens
) -> None:
    lincoln = {**OBSERVATION, "site": "lincoln-es"}
    roosevelt = {
        **OBSERVATION,
        "site": None,
        "identifiers": {"serial": "CZC9999", "ips": ["10.20.0.9"]},
    }

    response = client.post(
        "/api/v1/observations", json=[lincoln, roosevelt], headers=auth(tokens.lincoln_ingest)
    )

    assert response.status_code == 403
    assert response.json()["errors"] == [
        {
            "field": "1.site",
            "message": "placed at site 'roosevelt-ms'; token 'lincoln_ingest' may ingest only "
            "for lincoln-es",
            "value": "roosevelt-ms",
        }
    ]
    listed = client.get("/api/v1/assets", headers=auth(tokens.read)).json()
    assert listed["total"] == 0


def test_bound_ingest_token_ingesting_unplaced_observation_is_403(
    client: TestClient, tokens: Tokens
) -> None:
    nowhere = {**OBSERVATION, "site": None, "identifiers": {"serial": "CZC7777"}}

    response = client.post(
        "/api/v1/observations", json=[nowhere], headers=auth(tokens.lincoln_ingest)
    )

    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == (
        "names no site and no address of a site; token 'lincoln_ingest' may ingest only "
        "for lincoln-es"
    )


def test_bound_ingest_token_ingesting_by_address_in_its_site_is_allowed(
    client: TestClient, tokens: Tokens
) -> None:
    placed = {
        **OBSERVATION,
        "site": None,
        "identifiers": {"serial": "CZC5555", "ips": ["10.10.1.5"]},
    }

    response = client.post(
        "/api/v1/observations", json=[placed], headers=auth(tokens.lincoln_ingest)
    )

    assert response.status_code == 200
    assert response.json()["counts"]["created"] == 1


# SQLite has no channel of token changes: every request checks its token there.
@postgresql_only
def test_a_checked_token_is_remembered_until_a_token_changes(
    client: TestClient, tokens: Tokens, database: Database
) -> None:
    cache = token_cache(client)
    assert cache is not None
    client.get("/api/v1/assets/lookup?serial=NONE", headers=auth(tokens.read))
    client.get("/api/v1/assets", headers=auth("mst_not-a-real-token"))
    remembered = cache.get(tokens.read)

    # Any token's change makes the API forget them all.
    with token_change_heard(client), database.session(writer=True) as session:
        revoke_token(session, "admin")

    assert remembered is not None
    assert (remembered.name, remembered.last_used_at is not None) == ("read", True)
    assert cache.get("mst_not-a-real-token") is None
    assert cache.get(tokens.read) is None


@postgresql_only
def test_revocation_is_heard_after_the_database_dropped_the_listening_connection(
    client: TestClient, tokens: Tokens, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokencache, "FIRST_RETRY", 0.05)
    path = "/api/v1/assets/lookup?serial=NONE"
    assert client.get(path, headers=auth(tokens.read)).status_code == 404
    cache = token_cache(client)
    assert cache is not None
    drop_server_connections(database)

    while_down = client.get(path, headers=auth(tokens.read)).status_code
    assert token_cache(client) is cache  # listening again
    with token_change_heard(client), database.session(writer=True) as session:
        revoke_token(session, "read")
    after = client.get(path, headers=auth(tokens.read))

    assert while_down == 404
    assert after.status_code == 401
