"""The collector's TOML configuration: sites, their scope and how to sweep them.

The CMDB database is the one source of truth for sites; a configuration file
is applied into it (``muster site apply --config FILE``, and whenever ``muster
sweep`` or ``muster serve`` load one), its values winning for the sites it
declares and leaving other sites alone. A file looks like::

    [defaults]
    rate_limit = 300          # packets per second, per sweep
    profile = "standard"      # liveness, quick, standard or full

    [[site]]
    code = "lincoln-es"
    name = "Lincoln Elementary"
    subnets = ["10.10.0.0/22"]
    exclude = ["10.10.0.1", "10.10.3.0/24"]
    priority = 10             # `muster sweep --all` goes highest first
    port_profile = "common"   # or ports = [22, 443, 9100]
    schedule = "0 6 * * 1-5"  # cron: minute hour day month weekday

    [[site.snmp]]
    version = "2c"
    community_env = "LINCOLN_RO"

    [[site.snmp]]
    version = "3"
    user = "muster"
    auth_protocol = "sha"
    auth_key_file = "/etc/muster/lincoln.auth"
    priv_protocol = "aes128"
    priv_key_env = "LINCOLN_PRIV"

Secrets are named, never written: ``*_env`` names an environment variable,
``*_file`` a file whose first line is the secret. Nothing scans until a site
names a subnet.
"""

import logging
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import netaddr
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError
from muster.cmdb.models import Site
from muster.cmdb.observation import SiteCode, describe_validation_error
from muster.cmdb.sites import (
    normalise_subnet,
    replace_exclusions,
    replace_snmp_credentials,
    replace_subnets,
    set_sweep_settings,
    upsert_site,
)
from muster.collector import profiles
from muster.collector.scope import is_public

logger = logging.getLogger(__name__)

CONFIG_ENV = "MUSTER_CONFIG"

AuthProtocol = Literal["md5", "sha", "sha224", "sha256", "sha384", "sha512"]
PrivProtocol = Literal["des", "3des", "aes128", "aes192", "aes256"]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _secret_ref(env: str | None, file: Path | None, literal: str | None = None) -> str | None:
    if env is not None:
        return f"env:{env}"
    if file is not None:
        return f"file:{file}"
    if literal is not None:
        return f"value:{literal}"
    return None


class SnmpCredentialConfig(_Strict):
    """One SNMP community (v2c) or user (v3), tried in the order listed."""

    version: Literal["2c", "3"] = "2c"
    community_env: EnvName | None = None
    community_file: Path | None = None
    user: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    auth_protocol: AuthProtocol | None = None
    auth_key_env: EnvName | None = None
    auth_key_file: Path | None = None
    priv_protocol: PrivProtocol | None = None
    priv_key_env: EnvName | None = None
    priv_key_file: Path | None = None
    # Only the command line gives a literal community; a file names where it is.
    community: str | None = Field(None, exclude=True, repr=False)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        for name in ("community", "auth_key", "priv_key"):
            if getattr(self, f"{name}_env") and getattr(self, f"{name}_file"):
                raise ValueError(f"give {name}_env or {name}_file, not both")
        has_community = bool(self.community_env or self.community_file or self.community)
        if self.version == "2c":
            if not has_community:
                raise ValueError("SNMP v2c needs community_env or community_file")
            if self.user:
                raise ValueError('user is for SNMP v3: set version = "3"')
            return self
        if not self.user:
            raise ValueError("SNMP v3 needs a user")
        has_auth_key = bool(self.auth_key_env or self.auth_key_file)
        if bool(self.auth_protocol) != has_auth_key:
            raise ValueError("auth_protocol and auth_key_env (or auth_key_file) go together")
        has_priv_key = bool(self.priv_key_env or self.priv_key_file)
        if bool(self.priv_protocol) != has_priv_key:
            raise ValueError("priv_protocol and priv_key_env (or priv_key_file) go together")
        if self.priv_protocol and not self.auth_protocol:
            raise ValueError("SNMP v3 privacy needs authentication: set auth_protocol too")
        return self

    def columns(self) -> dict[str, str | None]:
        """Return the SnmpCredential columns, secrets as references."""
        return {
            "version": self.version,
            "community": _secret_ref(self.community_env, self.community_file, self.community),
            "user": self.user,
            "auth_protocol": self.auth_protocol,
            "auth_key": _secret_ref(self.auth_key_env, self.auth_key_file),
            "priv_protocol": self.priv_protocol,
            "priv_key": _secret_ref(self.priv_key_env, self.priv_key_file),
        }


class SweepDefaults(_Strict):
    """Settings every site gets unless it says otherwise."""

    profile: str = profiles.DEFAULT_PROFILE
    techniques: list[str] | None = None
    port_profile: str = profiles.DEFAULT_PORT_PROFILE
    ports: list[Annotated[int, Field(ge=1, le=65535)]] | None = None
    rate_limit: Annotated[int, Field(ge=1, le=100_000)] = 300
    priority: int = 0
    allow_public: bool = False
    schedule: str | None = None

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str) -> str:
        profiles.profile_techniques(value)
        return value

    @field_validator("techniques")
    @classmethod
    def _techniques(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else profiles.check_techniques(value)

    @field_validator("port_profile")
    @classmethod
    def _port_profile(cls, value: str) -> str:
        profiles.profile_ports(value)
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)


class SiteConfig(SweepDefaults):
    """One site as the configuration file declares it."""

    code: SiteCode
    name: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None
    contact: str | None = None
    subnets: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    snmp: list[SnmpCredentialConfig] = Field(default_factory=list)

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("subnets", "exclude")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return [normalise_subnet(cidr) for cidr in value]

    @model_validator(mode="after")
    def _public(self) -> Self:
        if not self.allow_public:
            for cidr in self.subnets:
                if is_public(netaddr.IPNetwork(cidr).network):
                    raise ValueError(
                        f"subnet {cidr} is public address space: set allow_public = true "
                        "if this site really uses it"
                    )
        return self

    def sweep_settings(self) -> dict[str, Any]:
        """Return the Site columns of the sweep settings."""
        return {name: getattr(self, name) for name in SweepDefaults.model_fields}


class CollectorConfig(_Strict):
    """A whole configuration file."""

    defaults: SweepDefaults = Field(default_factory=SweepDefaults)
    site: list[SiteConfig] = Field(default_factory=list)


def check_cron(expression: str) -> str:
    """Return a five-field cron expression, or raise ValueError saying what is wrong."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression)
    except ValueError as exc:
        raise ValueError(
            f"schedule {expression!r} is not a cron expression ({exc}): use five fields, "
            "minute hour day month weekday, e.g. '0 6 * * 1-5'"
        ) from exc
    return expression


def config_path(explicit: Path | None) -> Path | None:
    """Return the configuration file to use: --config, else MUSTER_CONFIG, else none."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(CONFIG_ENV, "").strip()
    return Path(from_env) if from_env else None


def load_config(path: Path) -> CollectorConfig:
    """Read and validate a configuration file, naming the file and field of any error."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"configuration file {str(path)!r} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc
    defaults = raw.get("defaults", {})
    sites = raw.get("site", [])
    if not isinstance(defaults, dict) or not isinstance(sites, list):
        raise ConfigurationError(f"{path}: expected a [defaults] table and [[site]] tables")
    _refuse_literal_secrets(path, sites)
    # Each site starts from the defaults, then says what differs.
    merged = {**raw, "site": [{**defaults, **s} if isinstance(s, dict) else s for s in sites]}
    try:
        config = CollectorConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigurationError(describe_validation_error(exc, where=str(path))) from exc
    codes = [site.code for site in config.site]
    if duplicates := sorted({code for code in codes if codes.count(code) > 1}):
        raise ConfigurationError(f"{path}: site {duplicates[0]!r} is declared more than once")
    return config


def _refuse_literal_secrets(path: Path, sites: list[Any]) -> None:
    for number, site in enumerate(sites, start=1):
        credentials = site.get("snmp", []) if isinstance(site, dict) else []
        for credential in credentials if isinstance(credentials, list) else []:
            if isinstance(credential, dict) and "community" in credential:
                raise ConfigurationError(
                    f"{path}: site {number}: a community is not written in the file: put it "
                    "in an environment variable or a file and name it with community_env "
                    "or community_file"
                )


def apply_site(session: Session, site_config: SiteConfig) -> Site:
    """Make the database's site match its configuration (config values win)."""
    site = upsert_site(
        session, site_config.code, name=site_config.name, contact=site_config.contact
    )
    replace_subnets(session, site, site_config.subnets)
    replace_exclusions(session, site, site_config.exclude)
    replace_snmp_credentials(session, site, [c.columns() for c in site_config.snmp])
    set_sweep_settings(site, site_config.sweep_settings())
    session.flush()
    return site


def apply_config(session: Session, config: CollectorConfig) -> list[str]:
    """Apply every site of a configuration into the database; return their codes."""
    codes = []
    for site_config in config.site:
        apply_site(session, site_config)
        codes.append(site_config.code)
    logger.info("applied configuration for sites %s", ", ".join(codes) or "(none)")
    return codes
