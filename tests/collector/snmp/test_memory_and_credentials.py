"""The credential memory file and the credential models."""

import json
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from muster.collector.snmp import (
    AuthProtocol,
    CommunityV2c,
    CredentialMemory,
    PrivProtocol,
    UsmUser,
)


def test_memory_saved_and_loaded_keeps_names_never_secrets(tmp_path: Path) -> None:
    path = tmp_path / "collector" / "snmp-credentials.json"
    memory = CredentialMemory(path)
    memory.remember("10.1.2.3", "campus-ro")

    memory.save()
    loaded = CredentialMemory.load(path)

    assert loaded.get("10.1.2.3") == "campus-ro"
    assert loaded.get("10.1.2.4") is None
    assert set(json.loads(path.read_text())["10.1.2.3"]) == {"credential", "at"}


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"], ids=["broken-json", "not-an-object"])
def test_unreadable_memory_starts_empty(tmp_path: Path, content: str) -> None:
    path = tmp_path / "snmp-credentials.json"
    path.write_text(content)

    assert len(CredentialMemory.load(path)) == 0


def test_missing_memory_file_starts_empty(tmp_path: Path) -> None:
    assert len(CredentialMemory.load(tmp_path / "absent.json")) == 0


def test_community_secret_never_shows_in_repr_or_json() -> None:
    credential = CommunityV2c(name="campus-ro", community=SecretStr("s3cret-community"))

    assert "s3cret-community" not in repr(credential)
    assert "s3cret-community" not in credential.model_dump_json()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"auth_protocol": AuthProtocol.SHA},
            "SNMPv3 user 'inventory': give both auth_protocol and auth_key, or neither",
        ),
        (
            {"priv_protocol": PrivProtocol.AES128, "priv_key": SecretStr("privpass-123")},
            "SNMPv3 user 'inventory': privacy needs authentication; add auth_protocol and "
            "auth_key",
        ),
        (
            {"auth_protocol": AuthProtocol.SHA, "auth_key": SecretStr("short")},
            "SNMPv3 user 'inventory': auth_key must be at least 8 characters (RFC 3414)",
        ),
    ],
    ids=["auth-protocol-without-key", "privacy-without-auth", "short-key"],
)
def test_inconsistent_v3_user_is_refused_naming_the_problem(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        UsmUser(name="v3", user="inventory", **fields)

    assert caught.value.errors()[0]["msg"] == f"Value error, {message}"


def test_v3_user_security_level_follows_the_keys_given() -> None:
    auth_only = UsmUser(
        name="v3", user="inventory", auth_protocol=AuthProtocol.SHA256, auth_key=SecretStr("a" * 8)
    )

    assert auth_only.security_level == "authNoPriv"
    assert UsmUser(name="v3", user="inventory").security_level == "noAuthNoPriv"
