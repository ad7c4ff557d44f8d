"""Starting sweeps through the API and reading their progress there."""

import socket

import pytest
from fastapi.testclient import TestClient

from muster.cmdb.db import Database
from muster.cmdb.sites import set_sweep_settings, upsert_site
from tests.api.conftest import Tokens, auth


def test_start_sweep_runs_it_and_its_progress_is_readable(
    client: TestClient, tokens: Tokens, database: Database
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.9.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with database.session(writer=True) as session:
            site = upsert_site(session, "loop", subnets=["127.0.9.0/29"])
            # One probe a second: the sweep is still running when it is asked again.
            settings = {"techniques": ["tcp"], "ports": [port], "rate_limit": 1}
            set_sweep_settings(site, settings)

        started = client.post("/api/v1/sweeps", json={"site": "loop"}, headers=auth(tokens.admin))
        busy = client.post("/api/v1/sweeps", json={"site": "loop"}, headers=auth(tokens.admin))
        client.app.state.sweeps.join("loop", timeout=60)  # type: ignore[attr-defined]

    assert started.status_code == 202
    assert started.headers["location"] == f"/api/v1/sweeps/{started.json()['id']}"
    assert (started.json()["site"], started.json()["trigger"]) == ("loop", "api")
    assert busy.status_code == 409
    assert "site 'loop' is already being swept" in busy.json()["detail"]
    done = client.get(started.headers["location"], headers=auth(tokens.read)).json()
    # Every loopback address answers (all but one with a reset): all six are alive.
    assert (done["status"], done["targets"], done["alive"], done["probed"]) == (
        "completed",
        6,
        6,
        6,
    )


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"site": "nowhere"}, 404, "site 'nowhere' does not exist"),
        ({"site": "empty"}, 422, "site 'empty' has no subnet, so there is nothing to sweep"),
        ({"site": "empty", "techniques": ["telnet"]}, 422, None),
    ],
    ids=["unknown-site", "no-subnet", "bad-technique"],
)
def test_start_sweep_refusals_name_the_problem(
    client: TestClient,
    tokens: Tokens,
    database: Database,
    body: dict[str, object],
    status: int,
    detail: str | None,
) -> None:
    with database.session(writer=True) as session:
        upsert_site(session, "empty")

    response = client.post("/api/v1/sweeps", json=body, headers=auth(tokens.admin))

    assert response.status_code == status
    if detail is not None:
        assert detail in response.json()["detail"]


def test_start_sweep_needs_the_admin_scope(client: TestClient, tokens: Tokens) -> None:
    response = client.post("/api/v1/sweeps", json={"site": "x"}, headers=auth(tokens.read))

    assert response.status_code == 403
