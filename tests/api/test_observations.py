"""POST /api/v1/observations: batches, gzip bodies, idempotency keys, limits, refusals."""

import gzip
import json
import zlib

from fastapi.testclient import TestClient

from tests.api.conftest import Tokens, auth

URL = "/api/v1/observations"


def observation(serial: str, **extra: object) -> dict[str, object]:
    """An agent's Observation of a Lincoln workstation."""
    return {
        "schema": "muster.observation/1",
        "source": "agent",
        "observed_at": "2026-11-02T08:00:00Z",
        "site": "lincoln-es",
        "identifiers": {"serial": serial, "hostname": f"pc-{serial.lower()}"},
        "attributes": {"vendor": "HP", "kind": "workstation"},
        **extra,
    }


def test_ingest_batch_returns_a_decision_per_observation(
    client: TestClient, tokens: Tokens
) -> None:
    later = observation("CZC2", observed_at="2026-11-02T08:01:00Z")

    response = client.post(URL, json=[observation("CZC1"), later], headers=auth(tokens.ingest))

    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "conflict": 0}
    assert body["replayed"] is False
    assert [(d["index"], d["outcome"], d["asset"], d["rule"]) for d in body["decisions"]] == [
        (0, "created", "#1", "new"),
        (1, "created", "#2", "new"),
    ]


def test_ingest_gzip_body_is_inflated(client: TestClient, tokens: Tokens) -> None:
    body = gzip.compress(json.dumps([observation("CZC1")]).encode())

    response = client.post(
        URL,
        content=body,
        headers={
            **auth(tokens.ingest),
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
        },
    )

    assert response.status_code == 200
    assert response.json()["counts"]["created"] == 1


def test_ingest_same_idempotency_key_and_body_replays_and_ingests_nothing(
    client: TestClient, tokens: Tokens
) -> None:
    headers = {**auth(tokens.ingest), "Idempotency-Key": "batch-0001"}
    first = client.post(URL, json=[observation("CZC1")], headers=headers)

    again = client.post(URL, json=[observation("CZC1")], headers=headers)

    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert again.json()["decisions"][0]["outcome"] == "created"


def test_ingest_same_idempotency_key_other_body_is_409(client: TestClient, tokens: Tokens) -> None:
    headers = {**auth(tokens.ingest), "Idempotency-Key": "batch-0001"}
    client.post(URL, json=[observation("CZC1")], headers=headers)

    response = client.post(URL, json=[observation("CZC2")], headers=headers)

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Idempotency-Key 'batch-0001' was already used for a different batch: send a new key "
        "for new content, or the same content to get the first response again"
    )
    listed = client.get("/api/v1/assets", headers=auth(tokens.read)).json()
    assert [a["serial"] for a in listed["items"]] == ["CZC1"]


def test_ingest_bad_mac_is_422_naming_field_and_value(client: TestClient, tokens: Tokens) -> None:
    bad = observation("CZC2")
    bad["identifiers"] = {"serial": "CZC2", "macs": ["00:1a:2b:3c:4d:5e", "not-a-mac"]}

    response = client.post(URL, json=[observation("CZC1"), bad], headers=auth(tokens.ingest))

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "1.identifiers.macs.1",
            "message": "'not-a-mac' is not a MAC address: expected six octets such as "
            "00:1a:2b:3c:4d:5e",
            "value": "not-a-mac",
        }
    ]
    assert client.get("/api/v1/assets", headers=auth(tokens.read)).json()["total"] == 0


def test_ingest_unknown_site_is_422_and_writes_nothing(client: TestClient, tokens: Tokens) -> None:
    response = client.post(
        URL,
        json=[observation("CZC1"), observation("CZC2", site="atlantis-hs")],
        headers=auth(tokens.ingest),
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "1.site",
            "message": "observation 1: site 'atlantis-hs' does not exist: add it with "
            "`muster site add atlantis-hs --name NAME --subnet CIDR`, or leave `site` out to "
            "place the device by its address",
            "value": "atlantis-hs",
        }
    ]
    assert client.get("/api/v1/assets", headers=auth(tokens.read)).json()["total"] == 0


def test_ingest_invalid_json_is_400(client: TestClient, tokens: Tokens) -> None:
    response = client.post(
        URL,
        content=b'[{"schema": ',
        headers={**auth(tokens.ingest), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("the body is not valid JSON")


def test_ingest_malformed_gzip_is_400(client: TestClient, tokens: Tokens) -> None:
    truncated = gzip.compress(json.dumps([observation("CZC1")]).encode())[:-12]

    response = client.post(
        URL, content=truncated, headers={**auth(tokens.ingest), "Content-Encoding": "gzip"}
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "the body is truncated gzip data: it ends mid-stream"


def test_ingest_body_over_limit_is_413(client: TestClient, tokens: Tokens) -> None:
    padding = observation("CZC1", collector="x" * 200)
    body = json.dumps([padding] * 400).encode()  # about 130 kB; the limit is 64 kB

    response = client.post(
        URL, content=body, headers={**auth(tokens.ingest), "Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["detail"] == (
        "the body is over the limit of 65536 bytes: send smaller batches, or compress them "
        "with gzip"
    )


def test_ingest_gzip_bomb_is_413(client: TestClient, tokens: Tokens) -> None:
    bomb = zlib.compress(b"[" + b" " * 10_000_000 + b"]", 9)  # 10 MB of blanks in ~10 kB
    assert len(bomb) < 64 * 1024

    response = client.post(
        URL, content=bomb, headers={**auth(tokens.ingest), "Content-Encoding": "deflate"}
    )

    assert response.status_code == 413
    assert response.json()["detail"] == (
        "the body inflates to more than 262144 bytes: send smaller batches"
    )


def test_ingest_unknown_content_encoding_is_415(client: TestClient, tokens: Tokens) -> None:
    response = client.post(
        URL, content=b"[]", headers={**auth(tokens.ingest), "Content-Encoding": "br"}
    )

    assert response.status_code == 415


def test_ingest_batch_over_count_limit_is_413(client: TestClient, tokens: Tokens) -> None:
    batch = [observation(f"CZC{n}") for n in range(51)]

    response = client.post(URL, json=batch, headers=auth(tokens.ingest))

    assert response.status_code == 413
    assert response.json()["detail"] == (
        "51 Observations in one request is over the limit of 50: send them in several batches"
    )
