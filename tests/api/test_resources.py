"""Sites, assets, conflicts, requirements, ticket links and sweeps through the API."""

from typing import Any

from fastapi.testclient import TestClient

from muster.cmdb.db import Database
from muster.cmdb.models import Sweep, utcnow
from tests.api.conftest import Tokens, auth, drop_server_connections
from tests.conftest import postgresql_only

DOCK_MAC = "00:1a:2b:3c:4d:5e"


def laptop(serial: str, minute: int, **identifiers: Any) -> dict[str, Any]:
    """An agent's Observation of a Lincoln laptop."""
    return {
        "schema": "muster.observation/1",
        "source": "agent",
        "observed_at": f"2026-11-02T08:{minute:02d}:00Z",
        "site": "lincoln-es",
        "identifiers": {"serial": serial, **identifiers},
        "attributes": {"vendor": "Dell", "model": "Latitude 5420", "kind": "laptop"},
    }


def ingest(client: TestClient, tokens: Tokens, *observations: dict[str, Any]) -> None:
    response = client.post(
        "/api/v1/observations", json=list(observations), headers=auth(tokens.ingest)
    )
    assert response.status_code == 200, response.text


def test_create_site_then_read_it(client: TestClient, tokens: Tokens) -> None:
    created = client.post(
        "/api/v1/sites",
        json={"code": "Hoover-HS", "name": "Hoover High", "subnets": ["10.30.0.9/24"]},
        headers=auth(tokens.admin),
    )

    assert created.status_code == 201
    shown = client.get("/api/v1/sites/hoover-hs", headers=auth(tokens.read)).json()
    assert {k: v for k, v in shown.items() if k != "created_at"} == {
        "code": "hoover-hs",
        "name": "Hoover High",
        "contact": None,
        "subnets": ["10.30.0.0/24"],
        "assets": 0,
        "exclusions": [],
        "profile": "standard",
        "techniques": None,
        "port_profile": "common",
        "ports": None,
        "rate_limit": 300,
        "priority": 0,
        "allow_public": False,
        "schedule": None,
    }


def test_create_site_overlapping_subnet_is_422(client: TestClient, tokens: Tokens) -> None:
    response = client.post(
        "/api/v1/sites",
        json={"code": "annex", "name": "Annex", "subnets": ["10.10.1.0/24"]},
        headers=auth(tokens.admin),
    )

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "subnet 10.10.1.0/24 overlaps 10.10.0.0/22 of site 'lincoln-es': an address must "
        "belong to one site; remove it there first or give a narrower subnet"
    )


def test_create_site_unknown_field_is_422_naming_it(client: TestClient, tokens: Tokens) -> None:
    response = client.post(
        "/api/v1/sites",
        json={"code": "annex", "name": "Annex", "colour": "red"},
        headers=auth(tokens.admin),
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "colour",
            "message": "unknown field; see the OpenAPI document at /api/v1/openapi.json for "
            "the fields",
            "value": "red",
        }
    ]


def test_create_site_existing_code_is_409(client: TestClient, tokens: Tokens) -> None:
    response = client.post(
        "/api/v1/sites", json={"code": "lincoln-es", "name": "Again"}, headers=auth(tokens.admin)
    )

    assert response.status_code == 409


def test_update_site_replaces_subnets_and_delete_empty_site(
    client: TestClient, tokens: Tokens
) -> None:
    updated = client.patch(
        "/api/v1/sites/roosevelt-ms",
        json={"subnets": ["10.21.0.0/24", "10.22.0.0/24"], "name": "Roosevelt MS"},
        headers=auth(tokens.admin),
    )
    deleted = client.delete("/api/v1/sites/roosevelt-ms", headers=auth(tokens.admin))

    assert updated.json()["subnets"] == ["10.21.0.0/24", "10.22.0.0/24"]
    assert updated.json()["name"] == "Roosevelt MS"
    assert deleted.status_code == 204
    assert client.get("/api/v1/sites/roosevelt-ms", headers=auth(tokens.read)).status_code == 404


def test_delete_site_with_assets_is_409(client: TestClient, tokens: Tokens) -> None:
    ingest(client, tokens, laptop("5CG1", 0))

    response = client.delete("/api/v1/sites/lincoln-es", headers=auth(tokens.admin))

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "site 'lincoln-es' still has 1 assets: retire or move them first"
    )


def test_read_assets_filters_sorts_and_pages(client: TestClient, tokens: Tokens) -> None:
    ingest(
        client,
        tokens,
        laptop("5CG1", 0, hostname="lab-a"),
        laptop("5CG2", 1, hostname="lab-b"),
        laptop("5CG3", 2, hostname="office-c", macs=["00:1a:2b:00:00:03"]),
    )
    read = auth(tokens.read)

    page = client.get("/api/v1/assets?sort=-hostname&limit=2&offset=1", headers=read).json()
    by_text = client.get("/api/v1/assets?q=lab", headers=read).json()
    by_mac = client.get("/api/v1/assets?mac=001A.2B00.0003", headers=read).json()
    after = client.get("/api/v1/assets?seen_after=2026-11-02T08:01:00Z", headers=read).json()

    assert [a["hostname"] for a in page["items"]] == ["lab-b", "lab-a"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert [a["serial"] for a in by_text["items"]] == ["5CG1", "5CG2"]
    assert [a["serial"] for a in by_mac["items"]] == ["5CG3"]
    assert [a["serial"] for a in after["items"]] == ["5CG2", "5CG3"]


def test_lookup_asset_by_serial_and_mac(client: TestClient, tokens: Tokens) -> None:
    ingest(client, tokens, laptop("5CG1", 0, hostname="lab-a", macs=["00:1a:2b:00:00:01"]))

    by_serial = client.get("/api/v1/assets/lookup?serial=5cg1", headers=auth(tokens.read))
    by_mac = client.get("/api/v1/assets/lookup?mac=00-1A-2B-00-00-01", headers=auth(tokens.read))
    missing = client.get("/api/v1/assets/lookup?serial=NOPE", headers=auth(tokens.read))

    assert by_serial.json()["id"] == by_mac.json()["id"] == 1
    assert by_serial.json()["macs"] == ["00:1a:2b:00:00:01"]
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no asset has serial 'NOPE'"


def test_lookup_asset_answers_the_asset_summary(client: TestClient, tokens: Tokens) -> None:
    ingest(
        client,
        tokens,
        laptop("5CG1", 0, hostname="lab-a", macs=["00:1a:2b:00:00:02", "00:1a:2b:00:00:01"]),
    )

    response = client.get("/api/v1/assets/lookup?mac=00:1a:2b:00:00:02", headers=auth(tokens.read))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "id": 1,
        "site": "lincoln-es",
        "kind": "laptop",
        "status": "active",
        "hostname": "lab-a",
        "vendor": "Dell",
        "model": "Latitude 5420",
        "serial": "5CG1",
        "os_name": None,
        "macs": ["00:1a:2b:00:00:01", "00:1a:2b:00:00:02"],
        "ips": [],
        "first_seen": "2026-11-02T08:00:00Z",
        "last_seen": "2026-11-02T08:00:00Z",
    }


def test_lookup_asset_does_not_wait_for_the_shared_pool(
    client: TestClient, tokens: Tokens, database: Database
) -> None:
    ingest(client, tokens, laptop("5CG1", 0))
    # The token's first use is recorded, through the pool; later ones within a minute are not.
    client.get("/api/v1/assets/lookup?serial=NONE", headers=auth(tokens.read))
    # Taking every connection of the engine's pool: the look-up reads from the
    # event loop on connections of its own (SQLite: the loop's; PostgreSQL:
    # the app's AsyncReads), so it must not wait for one, which would stall
    # the loop that gives them back.
    pool: Any = database.engine.pool
    held = [database.engine.raw_connection() for _ in range(pool.size() + pool._max_overflow)]
    try:
        response = client.get("/api/v1/assets/lookup?serial=5CG1", headers=auth(tokens.read))
    finally:
        for connection in held:
            connection.close()

    assert response.status_code == 200
    assert response.json()["serial"] == "5CG1"


@postgresql_only
def test_lookup_asset_reads_again_when_the_database_server_dropped_its_connections(
    client: TestClient, tokens: Tokens, database: Database
) -> None:
    ingest(client, tokens, laptop("5CG1", 0))
    first = client.get("/api/v1/assets/lookup?serial=5CG1", headers=auth(tokens.read))
    # As a restart of the server would: every connection to the database dies.
    dropped = drop_server_connections(database)
    second = client.get("/api/v1/assets/lookup?serial=5CG1", headers=auth(tokens.read))

    assert dropped >= 1
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()


def test_lookup_asset_with_two_keys_is_422(client: TestClient, tokens: Tokens) -> None:
    response = client.get(
        "/api/v1/assets/lookup?serial=5CG1&hostname=lab-a", headers=auth(tokens.read)
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.serial", "query.hostname"]


def test_read_asset_detail_includes_identifiers_history_and_tickets(
    client: TestClient, tokens: Tokens
) -> None:
    ingest(client, tokens, laptop("5CG1", 0, hostname="lab-a"))
    client.post(
        "/api/v1/tickets",
        json={"system": "zammad", "key": "INC-7", "asset_id": 1},
        headers=auth(tokens.admin),
    )

    detail = client.get("/api/v1/assets/1", headers=auth(tokens.read)).json()

    assert [(i["type"], i["value"]) for i in detail["identifiers"]] == [
        ("hostname", "lab-a"),
        ("serial", "5CG1"),
    ]
    assert [c["field"] for c in detail["history"]] == ["created"]
    assert [(t["system"], t["key"]) for t in detail["tickets"]] == [("zammad", "INC-7")]


def _conflicted(client: TestClient, tokens: Tokens) -> int:
    """Two laptops that both carried the dock's MAC: one open conflict."""
    ingest(
        client,
        tokens,
        laptop("5CG1", 0, macs=[DOCK_MAC]),
        laptop("5CG2", 5, macs=[DOCK_MAC]),
    )
    conflicts = client.get("/api/v1/conflicts", headers=auth(tokens.read)).json()
    assert conflicts["total"] == 1
    conflict_id: int = conflicts["items"][0]["id"]
    return conflict_id


def test_resolve_conflict_by_merge_keeps_older_asset_with_both_serials(
    client: TestClient, tokens: Tokens
) -> None:
    conflict_id = _conflicted(client, tokens)

    response = client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"action": "merge", "note": "mainboard swapped"},
        headers=auth(tokens.admin),
    )

    assert response.json() == {
        "conflict_id": conflict_id,
        "action": "merge",
        "asset_id": 1,
        "merged_asset_id": 2,
        "note": "mainboard swapped",
    }
    detail = client.get("/api/v1/assets/1", headers=auth(tokens.read)).json()
    assert [(i["type"], i["value"], i["usable"]) for i in detail["identifiers"]] == [
        ("mac", DOCK_MAC, True),
        ("serial", "5CG1", True),
        ("serial", "5CG2", True),
    ]
    assert detail["history"][-1]["note"] == "merged #2 into #1 by hand: mainboard swapped"
    assert client.get("/api/v1/assets/2", headers=auth(tokens.read)).status_code == 404
    resolved = client.get(f"/api/v1/conflicts/{conflict_id}", headers=auth(tokens.read)).json()
    assert resolved["status"] == "resolved"


def test_resolve_conflict_keep_apart_records_history_on_both(
    client: TestClient, tokens: Tokens
) -> None:
    conflict_id = _conflicted(client, tokens)

    response = client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"action": "keep_apart", "note": "shared dock"},
        headers=auth(tokens.admin),
    )
    again = client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"action": "merge"},
        headers=auth(tokens.admin),
    )

    assert response.status_code == 200
    for asset_id, other in ((1, 2), (2, 1)):
        history = client.get(f"/api/v1/assets/{asset_id}", headers=auth(tokens.read)).json()
        assert history["history"][-1]["new"] == f"kept apart from #{other}"
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"conflict {conflict_id} is already resolved: kept #1 and #2 apart: shared dock"
    )


def test_requirement_crud(client: TestClient, tokens: Tokens) -> None:
    admin = auth(tokens.admin)
    created = client.post(
        "/api/v1/requirements",
        json={"site": "lincoln-es", "kind": "desktop", "count": 30, "min_memory_gb": 8},
        headers=admin,
    ).json()

    changed = client.patch(
        f"/api/v1/requirements/{created['id']}", json={"count": 32}, headers=admin
    )
    null_count = client.patch(
        f"/api/v1/requirements/{created['id']}", json={"count": None}, headers=admin
    )
    deleted = client.delete(f"/api/v1/requirements/{created['id']}", headers=admin)

    assert created["kind"] == "workstation"
    assert changed.json()["count"] == 32
    assert null_count.status_code == 422
    assert (
        null_count.json()["errors"][0]["message"] == "count may be left out, but not set to null"
    )
    assert deleted.status_code == 204
    assert client.get("/api/v1/requirements", headers=auth(tokens.read)).json()["total"] == 0


def test_ticket_link_to_both_asset_and_site_is_422(client: TestClient, tokens: Tokens) -> None:
    response = client.post(
        "/api/v1/tickets",
        json={"system": "zammad", "key": "INC-8", "asset_id": 1, "site": "lincoln-es"},
        headers=auth(tokens.admin),
    )

    assert response.status_code == 422


def test_read_sweeps_lists_newest_first(
    client: TestClient, tokens: Tokens, database: Database
) -> None:
    with database.session(writer=True) as session:
        session.add_all([Sweep(status="done", started_at=utcnow()), Sweep(status="running")])

    listed = client.get("/api/v1/sweeps", headers=auth(tokens.read)).json()
    one = client.get("/api/v1/sweeps/1", headers=auth(tokens.read)).json()

    assert [s["status"] for s in listed["items"]] == ["running", "done"]
    assert one["status"] == "done"


def test_lookup_asset_by_a_mac_two_machines_share_is_409_naming_both(
    client: TestClient, tokens: Tokens
) -> None:
    ingest(
        client,
        tokens,
        laptop("5CG1", 0, macs=[DOCK_MAC, "00:1a:2b:00:00:01"], ips=["10.10.0.7"]),
        laptop("5CG2", 1, macs=[DOCK_MAC, "00:1a:2b:00:00:02"]),
    )

    shared = client.get(f"/api/v1/assets/lookup?mac={DOCK_MAC}", headers=auth(tokens.read))
    by_ip = client.get("/api/v1/assets/lookup?ip=10.10.0.7", headers=auth(tokens.read))

    assert shared.status_code == 409
    assert shared.json()["detail"] == (
        f"mac {DOCK_MAC!r} is held by several assets (#2, #1): ask for one by id"
    )
    assert by_ip.status_code == 200
    assert (by_ip.json()["serial"], by_ip.json()["macs"], by_ip.json()["ips"]) == (
        "5CG1",
        ["00:1a:2b:00:00:01", DOCK_MAC],
        ["10.10.0.7"],
    )
