"""A site's sweep settings through the API: schedule, exclusions, profile, limits."""

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Tokens, auth


def test_site_sweep_settings_change_and_show(client: TestClient, tokens: Tokens) -> None:
    created = client.post(
        "/api/v1/sites",
        json={"code": "adams-es", "name": "Adams Elementary", "subnets": ["10.30.0.0/22"]},
        headers=auth(tokens.admin),
    )

    changed = client.patch(
        "/api/v1/sites/adams-es",
        json={
            "schedule": "0 6 * * 1-5",
            "exclusions": ["10.30.0.1", "10.30.3.0/24"],
            "priority": 10,
            "rate_limit": 150,
            "profile": "full",
        },
        headers=auth(tokens.admin),
    )

    assert created.status_code == 201
    assert (created.json()["profile"], created.json()["schedule"]) == ("standard", None)
    assert changed.status_code == 200
    shown = client.get("/api/v1/sites/adams-es", headers=auth(tokens.read)).json()
    assert {
        k: shown[k] for k in ("schedule", "exclusions", "priority", "rate_limit", "profile")
    } == {
        "schedule": "0 6 * * 1-5",
        "exclusions": ["10.30.0.1/32", "10.30.3.0/24"],
        "priority": 10,
        "rate_limit": 150,
        "profile": "full",
    }


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"schedule": "at dawn"}, "schedule 'at dawn' is not a cron expression"),
        ({"subnets": ["8.8.8.0/24"]}, "subnet 8.8.8.0/24 is public address space"),
        ({"exclusions": ["10.30.0.0/33"]}, "subnet '10.30.0.0/33' is not valid"),
    ],
    ids=["bad-cron", "public-subnet", "bad-exclusion"],
)
def test_site_sweep_settings_refusals_name_the_value_and_change_nothing(
    client: TestClient, tokens: Tokens, changes: dict[str, object], detail: str
) -> None:
    created = client.post(
        "/api/v1/sites",
        json={"code": "x", "name": "X", "subnets": ["10.30.0.0/22"]},
        headers=auth(tokens.admin),
    )
    assert created.status_code == 201

    response = client.patch("/api/v1/sites/x", json=changes, headers=auth(tokens.admin))

    assert response.status_code == 422
    assert detail in response.json()["detail"]
    shown = client.get("/api/v1/sites/x", headers=auth(tokens.read)).json()
    assert (shown["subnets"], shown["schedule"], shown["exclusions"]) == (
        ["10.30.0.0/22"],
        None,
        [],
    )
