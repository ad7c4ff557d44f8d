"""SNMP credentials as a sweep uses them: references resolved to secrets, never shown.

The CMDB keeps references (``env:NAME``, ``file:PATH``, ``value:TEXT``); a
sweep resolves them right before it starts. A secret is a pydantic
``SecretStr``: its repr, str and JSON show asterisks, so logs and reports
cannot leak it by accident. A reference that cannot be resolved skips that
credential with an error naming the variable or file, never the value.
"""

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from muster.cmdb.errors import ConfigurationError
from muster.cmdb.models import SnmpCredential

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnmpCredentials:
    """One community (v2c) or user (v3) with its secrets resolved."""

    version: str
    community: SecretStr | None = None
    user: str | None = None
    auth_protocol: str | None = None
    auth_key: SecretStr | None = None
    priv_protocol: str | None = None
    priv_key: SecretStr | None = None
    label: str = ""
    reference: str | None = None

    def __str__(self) -> str:
        return self.label


def describe_reference(reference: str | None) -> str:
    """Say where a secret comes from without saying what it is."""
    if not reference:
        return "-"
    kind, _, where = reference.partition(":")
    if kind == "env":
        return f"environment variable {where}"
    if kind == "file":
        return f"file {where}"
    return "given on the command line"


def resolve_secret(reference: str) -> SecretStr:
    """Read the secret a reference points at, or raise ConfigurationError saying where."""
    kind, _, where = reference.partition(":")
    if kind == "env":
        value = os.environ.get(where)
        if value is None:
            raise ConfigurationError(f"environment variable {where} is not set")
        return SecretStr(value)
    if kind == "file":
        try:
            lines = Path(where).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigurationError(f"cannot read secret file {where!r}: {exc.strerror}") from exc
        if not lines or not lines[0].strip():
            raise ConfigurationError(f"secret file {where!r} is empty")
        return SecretStr(lines[0].strip())
    if kind == "value":
        return SecretStr(where)
    raise ConfigurationError("a stored secret reference is malformed: re-apply the site")


def credential_label(credential: SnmpCredential) -> str:
    """Name a credential for people: version and where its secret comes from."""
    if credential.version == "2c":
        where = describe_reference(credential.community)
        if where == "given on the command line":
            return f"v2c community {where}"
        return f"v2c community from {where}"
    return f"v3 user {credential.user}"


def resolve_credentials(stored: list[SnmpCredential]) -> tuple[list[SnmpCredentials], list[str]]:
    """Resolve a site's credentials; return those usable and one error line per other."""
    usable: list[SnmpCredentials] = []
    errors: list[str] = []
    for number, credential in enumerate(stored, start=1):
        label = credential_label(credential)
        try:
            usable.append(
                SnmpCredentials(
                    version=credential.version,
                    community=_maybe(credential.community),
                    user=credential.user,
                    auth_protocol=credential.auth_protocol,
                    auth_key=_maybe(credential.auth_key),
                    priv_protocol=credential.priv_protocol,
                    priv_key=_maybe(credential.priv_key),
                    label=label,
                    reference=credential.community or (f"user:{credential.user}"),
                )
            )
        except ConfigurationError as exc:
            errors.append(f"SNMP credential {number} ({label}) skipped: {exc}")
            logger.warning("SNMP credential %d (%s) skipped: %s", number, label, exc)
    return usable, errors


def _maybe(reference: str | None) -> SecretStr | None:
    return None if reference is None else resolve_secret(reference)
