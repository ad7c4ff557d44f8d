"""Templates and the requirements file through the API, as the CLI applies them."""

import tomllib
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from muster.cmdb.db import Database
from muster.cmdb.sites import upsert_site
from tests.api.conftest import Tokens, auth

EXAMPLE = Path(__file__).parents[2] / "examples" / "district" / "requirements.toml"
SCHOOL = {
    "description": "Elementary school",
    "lines": [
        {"kind": "access point", "per": "classroom"},
        {"kind": "workstation", "count": 30, "label": "lab", "min_memory_gb": 8},
        {"kind": "ups", "count": 1},
    ],
}


def _lines(client: TestClient, tokens: Tokens, site: str) -> list[tuple[str, int, Any]]:
    listed = client.get(f"/api/v1/requirements?site={site}", headers=auth(tokens.read)).json()
    return [(line["kind"], line["count"], line["template"]) for line in listed["items"]]


def test_put_template_then_apply_it_to_a_site_makes_its_lines(
    client: TestClient, tokens: Tokens
) -> None:
    admin = auth(tokens.admin)

    put = client.put("/api/v1/templates/elementary", json=SCHOOL, headers=admin)
    applied = client.put(
        "/api/v1/templates/elementary/sites/lincoln-es",
        json={"quantities": {"classroom": 12}},
        headers=admin,
    )

    assert put.status_code == 200
    assert applied.json() == {"site": "lincoln-es", "added": 3, "updated": 0, "removed": 0}
    assert _lines(client, tokens, "lincoln-es") == [
        ("access_point", 12, "elementary"),
        ("ups", 1, "elementary"),
        ("workstation", 30, "elementary"),
    ]
    shown = client.get("/api/v1/templates/elementary", headers=auth(tokens.read)).json()
    assert shown["sites"] == {"lincoln-es": {"classroom": 12}}


def test_apply_template_without_the_quantity_it_needs_is_422_naming_the_unit(
    client: TestClient, tokens: Tokens
) -> None:
    client.put("/api/v1/templates/elementary", json=SCHOOL, headers=auth(tokens.admin))

    response = client.put(
        "/api/v1/templates/elementary/sites/lincoln-es",
        json={"quantities": {"rooms": 3}},
        headers=auth(tokens.admin),
    )

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "template 'elementary' at site 'lincoln-es' needs a quantity of classroom "
        "(given: rooms=3): give the site's number of classroom"
    )
    assert _lines(client, tokens, "lincoln-es") == []


def test_put_template_with_two_lines_of_one_kind_and_label_is_422(
    client: TestClient, tokens: Tokens
) -> None:
    body = {"lines": [{"kind": "ups", "count": 1}, {"kind": "ups", "count": 2}]}

    response = client.put("/api/v1/templates/closet", json=body, headers=auth(tokens.admin))

    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == (
        "two lines of ups (no label): give each line of one kind its own label"
    )


def test_delete_template_from_site_removes_its_lines(client: TestClient, tokens: Tokens) -> None:
    admin = auth(tokens.admin)
    client.put("/api/v1/templates/elementary", json=SCHOOL, headers=admin)
    client.put("/api/v1/templates/elementary/sites/lincoln-es",
               json={"quantities": {"classroom": 2}}, headers=admin)  # fmt: skip

    removed = client.delete("/api/v1/templates/elementary/sites/lincoln-es", headers=admin)
    again = client.delete("/api/v1/templates/elementary/sites/lincoln-es", headers=admin)

    assert (removed.status_code, again.status_code) == (204, 404)
    assert _lines(client, tokens, "lincoln-es") == []


def test_apply_requirements_file_as_json_twice_changes_nothing_the_second_time(
    client: TestClient, tokens: Tokens, database: Database
) -> None:
    with database.session(writer=True) as session:
        upsert_site(session, "district-office", name="District Office")
    declared = tomllib.loads(EXAMPLE.read_text())
    declared["sites"].pop("roosevelt-ms")

    first = client.post("/api/v1/requirements/apply", json=declared, headers=auth(tokens.admin))
    second = client.post("/api/v1/requirements/apply", json=declared, headers=auth(tokens.admin))

    assert first.json() == [
        {"site": "lincoln-es", "added": 8, "updated": 0, "removed": 0},
        {"site": "district-office", "added": 6, "updated": 0, "removed": 0},
    ]
    assert [(o["added"], o["updated"], o["removed"]) for o in second.json()] == [(0, 0, 0)] * 2
    templates = client.get("/api/v1/templates", headers=auth(tokens.read)).json()
    assert [t["name"] for t in templates["items"]] == ["elementary", "middle"]


def test_apply_requirements_file_naming_an_unknown_site_is_404_writing_nothing(
    client: TestClient, tokens: Tokens
) -> None:
    declared = tomllib.loads(EXAMPLE.read_text())

    response = client.post("/api/v1/requirements/apply", json=declared, headers=auth(tokens.admin))

    assert response.status_code == 404
    assert response.json()["detail"].startswith("site 'district-office' does not exist")
    assert client.get("/api/v1/templates", headers=auth(tokens.read)).json()["total"] == 0
