"""SNMP credentials and settings, as the caller hands them in.

Secrets are ``SecretStr``: they print as ``**********`` in logs, reprs and
errors. Every credential has a ``name`` that is not secret (e.g. the
environment variable its secret came from); that name is what is logged and
what is remembered per device, never the secret itself.
"""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

CredentialName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w.@:-]+$")]


class AuthProtocol(StrEnum):
    """SNMPv3 authentication protocols (USM, RFC 3414 and RFC 7860)."""

    MD5 = "md5"
    SHA = "sha"
    SHA224 = "sha224"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"


class PrivProtocol(StrEnum):
    """SNMPv3 privacy (encryption) protocols."""

    DES = "des"
    TRIPLE_DES = "3des"
    AES128 = "aes128"
    AES192 = "aes192"
    AES256 = "aes256"


class _Credential(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: CredentialName = Field(description="Not secret: logged and remembered per device.")


class CommunityV2c(_Credential):
    """An SNMPv2c community."""

    version: Literal["2c"] = "2c"
    community: SecretStr


class UsmUser(_Credential):
    """An SNMPv3 user: noAuthNoPriv, authNoPriv or authPriv by which keys are given."""

    version: Literal["3"] = "3"
    user: Annotated[str, Field(min_length=1, max_length=32)]
    auth_protocol: AuthProtocol | None = None
    auth_key: SecretStr | None = None
    priv_protocol: PrivProtocol | None = None
    priv_key: SecretStr | None = None

    @model_validator(mode="after")
    def _levels_fit(self) -> "UsmUser":
        if (self.auth_protocol is None) != (self.auth_key is None):
            raise ValueError(
                f"SNMPv3 user {self.user!r}: give both auth_protocol and auth_key, or neither"
            )
        if (self.priv_protocol is None) != (self.priv_key is None):
            raise ValueError(
                f"SNMPv3 user {self.user!r}: give both priv_protocol and priv_key, or neither"
            )
        if self.priv_key is not None and self.auth_key is None:
            raise ValueError(
                f"SNMPv3 user {self.user!r}: privacy needs authentication; add auth_protocol "
                "and auth_key"
            )
        for which, key in (("auth_key", self.auth_key), ("priv_key", self.priv_key)):
            if key is not None and len(key.get_secret_value()) < 8:
                raise ValueError(
                    f"SNMPv3 user {self.user!r}: {which} must be at least 8 characters (RFC 3414)"
                )
        return self

    @property
    def security_level(self) -> str:
        """noAuthNoPriv, authNoPriv or authPriv."""
        if self.priv_key is not None:
            return "authPriv"
        return "authNoPriv" if self.auth_key is not None else "noAuthNoPriv"


SnmpCredential = Annotated[CommunityV2c | UsmUser, Field(discriminator="version")]


class SnmpSettings(BaseModel):
    """Timeouts, retries and concurrency of an SNMP inventory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    port: int = Field(161, ge=1, le=65535)
    probe_timeout: float = Field(
        1.0, gt=0, description="Seconds to wait for the first answer to each credential."
    )
    probe_retries: int = Field(1, ge=0, le=5)
    timeout: float = Field(2.0, gt=0, description="Seconds per request once a credential works.")
    retries: int = Field(2, ge=0, le=10)
    device_timeout: float = Field(
        120.0, gt=0, description="Seconds one device's whole inventory may take."
    )
    concurrency: int = Field(64, ge=1, le=4096, description="Devices inventoried at once.")
    max_repetitions: int = Field(
        25, ge=1, le=200, description="GETBULK max-repetitions per column."
    )
    max_varbinds: int = Field(
        60, ge=1, le=1000, description="Varbinds asked for per GETBULK request."
    )
    max_rows: int = Field(
        50_000, ge=1, description="Rows per column at most, against agents that never end."
    )
    uplink_threshold: int = Field(
        12, ge=1, description="A switch port with more learned MACs than this is an uplink."
    )
    software: bool = Field(True, description="Walk hrSWInstalled (can be long on servers).")
    max_vlans: int = Field(
        64, ge=0, le=4094, description="Cisco VLANs whose forwarding tables are walked, at most."
    )
