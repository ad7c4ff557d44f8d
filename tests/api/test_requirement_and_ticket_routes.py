"""Requirement lines and ticket links through the API: the rules the CLI and reports share."""

from typing import Any

from fastapi.testclient import TestClient

from muster.cmdb.db import Database
from muster.cmdb.requirements import list_requirements
from muster.cmdb.templates import TemplateLineSpec, TemplateSpec, apply_template, upsert_template
from tests.api.conftest import Tokens, auth
from tests.api.test_resources import ingest, laptop

LAB = {"site": "lincoln-es", "kind": "workstation", "count": 30, "label": "lab"}


def _post(client: TestClient, tokens: Tokens, path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/v1/{path}", json=body, headers=auth(tokens.admin))
    assert response.status_code == 201, response.text
    return response.json()


def _template_line(database: Database) -> int:
    """Apply a one-line template to lincoln-es; return the id of the line it made."""
    with database.session(writer=True) as session:
        upsert_template(
            session, TemplateSpec(name="es", lines=[TemplateLineSpec(kind="ups", count=1)])
        )
        apply_template(session, "es", "lincoln-es", {})
        [line], _total = list_requirements(session)
    return line.id


def test_read_requirement_shows_line_with_spec_in_words(
    client: TestClient, tokens: Tokens
) -> None:
    body = {**LAB, "min_memory_gb": 8, "min_cores": 4, "os_family": "Windows", "max_age_years": 6}
    created = _post(client, tokens, "requirements", body)

    shown = client.get(f"/api/v1/requirements/{created['id']}", headers=auth(tokens.read)).json()

    assert shown == {
        "id": 1, "site": "lincoln-es", "kind": "workstation", "label": "lab", "count": 30,
        "spec": ">= 8 GiB, >= 4 cores, windows, <= 6 years old", "min_memory_gb": 8.0,
        "min_cores": 4, "os_family": "windows", "max_age_years": 6, "note": None,
        "template": None,
    }  # fmt: skip


def test_create_second_requirement_of_kind_and_label_is_409(
    client: TestClient, tokens: Tokens
) -> None:
    _post(client, tokens, "requirements", LAB)

    again = client.post("/api/v1/requirements", json=LAB, headers=auth(tokens.admin))
    other_label = client.post(
        "/api/v1/requirements", json={**LAB, "label": "library"}, headers=auth(tokens.admin)
    )

    assert again.status_code == 409
    assert again.json()["detail"] == (
        "site 'lincoln-es' already needs 30 workstation (lab) (requirement #1): give each line "
        "of one kind its own label (--label), or remove requirement #1 first"
    )
    assert other_label.status_code == 201


def test_update_requirement_label_to_one_taken_is_409_and_changes_nothing(
    client: TestClient, tokens: Tokens
) -> None:
    _post(client, tokens, "requirements", LAB)
    library = _post(client, tokens, "requirements", {**LAB, "label": "library", "count": 4})

    clash = client.patch(
        f"/api/v1/requirements/{library['id']}", json={"label": "lab"}, headers=auth(tokens.admin)
    )

    assert clash.status_code == 409
    shown = client.get(f"/api/v1/requirements/{library['id']}", headers=auth(tokens.read))
    assert (shown.json()["label"], shown.json()["count"]) == ("library", 4)


def test_update_requirement_moves_it_to_another_site_and_clears_a_filter(
    client: TestClient, tokens: Tokens
) -> None:
    created = _post(client, tokens, "requirements", {**LAB, "min_memory_gb": 8})

    moved = client.patch(
        f"/api/v1/requirements/{created['id']}",
        json={"site": "Roosevelt-MS", "min_memory_gb": None, "os_family": "mac-os"},
        headers=auth(tokens.admin),
    )

    assert moved.status_code == 200
    assert {k: moved.json()[k] for k in ("site", "min_memory_gb", "os_family", "spec")} == {
        "site": "roosevelt-ms", "min_memory_gb": None, "os_family": "macos", "spec": "macos",
    }  # fmt: skip


def test_update_or_delete_a_template_line_is_409_naming_the_template(
    client: TestClient, tokens: Tokens, database: Database
) -> None:
    line = _template_line(database)

    changed = client.patch(
        f"/api/v1/requirements/{line}", json={"count": 5}, headers=auth(tokens.admin)
    )
    deleted = client.delete(f"/api/v1/requirements/{line}", headers=auth(tokens.admin))

    assert (changed.status_code, deleted.status_code) == (409, 409)
    assert deleted.json()["detail"] == (
        "requirement #1 comes from template 'es' and is removed with it: change the template, "
        "or take it off the site with `muster requirement template remove es lincoln-es`"
    )
    shown = client.get(f"/api/v1/requirements/{line}", headers=auth(tokens.read)).json()
    assert (shown["count"], shown["template"]) == (1, "es")


def test_create_ticket_for_requirement_line_records_its_site_and_kind(
    client: TestClient, tokens: Tokens
) -> None:
    line = _post(client, tokens, "requirements", LAB)

    link = _post(
        client,
        tokens,
        "tickets",
        {"system": " jira ", "key": "IT-3", "requirement_id": line["id"]},
    )

    assert {k: link[k] for k in ("system", "key", "requirement_id", "site", "kind")} == {
        "system": "jira", "key": "IT-3", "requirement_id": 1, "site": "lincoln-es",
        "kind": "workstation",
    }  # fmt: skip


def test_create_ticket_with_kind_but_no_site_is_422(client: TestClient, tokens: Tokens) -> None:
    ingest(client, tokens, laptop("5CG1", 0))

    response = client.post(
        "/api/v1/tickets",
        json={"system": "jira", "key": "IT-4", "asset_id": 1, "kind": "laptop"},
        headers=auth(tokens.admin),
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "(body)",
            "message": "kind goes with site: it names the site's lines of that kind",
            "value": None,
        }
    ]


def test_read_tickets_of_a_site_lists_its_lines_and_its_assets_tickets(
    client: TestClient, tokens: Tokens
) -> None:
    ingest(client, tokens, laptop("5CG1", 0))
    for body in (
        {"system": "jira", "key": "IT-1", "asset_id": 1},
        {"system": "jira", "key": "IT-2", "site": "lincoln-es"},
        {"system": "jira", "key": "IT-3", "site": "roosevelt-ms", "kind": "printer"},
    ):
        _post(client, tokens, "tickets", body)

    listed = client.get("/api/v1/tickets?site=lincoln-es", headers=auth(tokens.read)).json()
    unknown = client.get("/api/v1/tickets?site=nowhere", headers=auth(tokens.read))

    assert ([t["key"] for t in listed["items"]], listed["total"]) == (["IT-1", "IT-2"], 2)
    assert unknown.status_code == 404


def test_update_ticket_status_keeps_its_target(client: TestClient, tokens: Tokens) -> None:
    created = _post(
        client, tokens, "tickets", {"system": "jira", "key": "IT-5", "site": "lincoln-es"}
    )

    changed = client.patch(
        f"/api/v1/tickets/{created['id']}", json={"status": "closed"}, headers=auth(tokens.admin)
    ).json()

    assert (changed["status"], changed["site"], changed["kind"]) == ("closed", "lincoln-es", None)
    assert changed["updated_at"] > created["updated_at"]
