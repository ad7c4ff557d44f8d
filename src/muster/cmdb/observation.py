"""The Observation: what one source saw of one device at one time.

Every source (the collector's techniques, agents, imports, third parties)
produces Observations; only the CMDB turns them into assets. The format is
versioned by its ``schema`` key and published as JSON Schema by
``muster schema observation``. Unknown keys are refused, so a misspelt field
is an error rather than a silently lost fact.

Child lists (``interfaces``, ``services``, ``software``, ``disks``,
``filesystems``) distinguish "not reported" (absent or null) from "reported
none" (an empty list): only a report replaces what the CMDB holds.
"""

import hashlib
import ipaddress
import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from muster.cmdb.errors import ObservationError
from muster.cmdb.gcpause import collector_paused
from muster.cmdb.kinds import require_kind
from muster.cmdb.network import canonical_mac
from muster.cmdb.sources import Source

SCHEMA_ID = "muster.observation/1"


def _canonical_uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text.strip().strip("{}")))
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not a UUID: expected 32 hex digits such as "
            "4c4c4544-0042-3510-8052-b4c04f4d4e31"
        ) from exc


_PLAIN_IPV4 = re.compile(
    r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$"
)


def _canonical_ip(text: str) -> str:
    if _PLAIN_IPV4.match(text):
        return text  # already canonical: no leading zeros, no spaces
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is not an IP address: expected IPv4 such as 10.1.2.3 or IPv6"
        ) from exc


def _to_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


_SITE_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")


def _site_code(text: str) -> str:
    code = text.strip().lower()
    if not _SITE_CODE.match(code):
        raise ValueError(
            f"{text!r} is not a site code: use up to 32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. lincoln-es)"
        )
    return code


def _kind(text: str) -> str:
    return require_kind(text).value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
MacAddress = Annotated[str, AfterValidator(canonical_mac)]
IpAddress = Annotated[str, AfterValidator(_canonical_ip)]
SystemUuid = Annotated[str, AfterValidator(_canonical_uuid)]
Timestamp = Annotated[AwareDatetime, AfterValidator(_to_utc)]
KindName = Annotated[str, AfterValidator(_kind)]
SiteCode = Annotated[str, AfterValidator(_site_code)]
Count = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True
    )


class Identifiers(_Strict):
    """What may tell this device apart from every other; see the identity rules."""

    serial: ShortText | None = Field(None, description="Chassis or system serial number.")
    system_uuid: SystemUuid | None = Field(None, description="SMBIOS system UUID.")
    machine_id: ShortText | None = Field(
        None, description="OS installation ID (/etc/machine-id, Windows MachineGuid)."
    )
    macs: list[MacAddress] = Field(default_factory=list, description="MACs of its NICs.")
    hostname: ShortText | None = Field(None, description="Host name, with or without domain.")
    ips: list[IpAddress] = Field(default_factory=list, description="Addresses it answered on.")
    snmp_engine_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{10,64}$")] | None = (
        Field(None, description="SNMP engine ID as hex digits.")
    )


class Attributes(_Strict):
    """Facts about the device; each merges by source trust, then freshness."""

    kind: KindName | None = Field(None, description="One of the asset kinds.")
    vendor: ShortText | None = None
    model: ShortText | None = None
    os_name: ShortText | None = Field(None, description="e.g. Debian GNU/Linux, Windows 11 Pro")
    os_version: ShortText | None = None
    os_kernel: ShortText | None = None
    arch: ShortText | None = Field(None, description="CPU architecture, e.g. x86_64")
    cpu_model: ShortText | None = None
    cpu_sockets: Count | None = None
    cpu_cores: Count | None = Field(None, description="Physical cores, all sockets.")
    cpu_threads: Count | None = Field(None, description="Logical processors, all sockets.")
    memory_bytes: Count | None = None
    virtual: bool | None = Field(None, description="True for a virtual machine.")
    hypervisor: ShortText | None = None
    chassis: ShortText | None = Field(None, description="Chassis type as the firmware says.")
    firmware: ShortText | None = Field(None, description="BIOS or firmware version.")
    firmware_date: date | None = Field(None, description="BIOS release date; a proxy for age.")
    description: Text | None = Field(None, description="e.g. SNMP sysDescr.")
    location: ShortText | None = Field(None, description="e.g. SNMP sysLocation.")
    contact: ShortText | None = None
    battery: bool | None = Field(None, description="True when the device has a battery.")
    gateways: list[IpAddress] | None = Field(None, description="Default gateways it routes by.")
    switch: ShortText | None = Field(None, description="Switch this device is attached to.")
    switch_port: ShortText | None = Field(None, description="Port on that switch.")
    vlan: Annotated[int, Field(ge=0, le=4095)] | None = None
    boot_time: Timestamp | None = None


class Interface(_Strict):
    """A network interface of the device."""

    name: ShortText
    mac: MacAddress | None = None
    ips: list[IpAddress] = Field(default_factory=list)
    speed_bps: Count | None = None
    oper_status: Literal["up", "down", "unknown"] | None = None
    admin_status: Literal["up", "down", "unknown"] | None = None
    description: ShortText | None = None


class Service(_Strict):
    """A port on which the device answered."""

    protocol: Literal["tcp", "udp"] = "tcp"
    port: Annotated[int, Field(ge=1, le=65535)]
    name: ShortText | None = Field(None, description="Service name, e.g. https")
    product: ShortText | None = None
    version: ShortText | None = None


class Software(_Strict):
    """An installed package or program."""

    name: ShortText
    version: ShortText | None = None
    vendor: ShortText | None = None
    arch: ShortText | None = None
    package_manager: ShortText | None = Field(None, description="e.g. dpkg, rpm, msi")


class Disk(_Strict):
    """A physical (or virtual) disk."""

    name: ShortText
    model: ShortText | None = None
    serial: ShortText | None = None
    size_bytes: Count | None = None
    media: Literal["hdd", "ssd", "nvme", "virtual", "removable", "unknown"] | None = None


class Filesystem(_Strict):
    """A mounted filesystem and how full it is."""

    mountpoint: ShortText
    device: ShortText | None = None
    fstype: ShortText | None = None
    size_bytes: Count | None = None
    used_bytes: Count | None = None


class Evidence(_Strict):
    """Why a source concluded an attribute's value, so the CMDB can explain it."""

    attribute: Literal["kind", "vendor", "model", "os_name", "virtual"]
    value: ShortText
    reason: Text


class Observation(_Strict):
    """What one source saw of one device at one time."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        defer_build=True,
        json_schema_extra={"$id": "https://muster.invalid/schema/observation-1.json"},
    )

    schema_: Literal["muster.observation/1"] = Field(alias="schema")
    source: Source
    observed_at: Timestamp = Field(description="When it was seen, RFC 3339 with time zone.")
    site: SiteCode | None = Field(
        None, description="Site code; may be left out when an address is in a site's subnet."
    )
    collector: ShortText | None = Field(
        None, description="Which collector or agent host produced it."
    )
    sweep_id: Annotated[int, Field(ge=1)] | None = None
    identifiers: Identifiers
    attributes: Attributes = Field(default_factory=Attributes)
    evidence: list[Evidence] = Field(default_factory=list)
    interfaces: list[Interface] | None = None
    services: list[Service] | None = None
    software: list[Software] | None = None
    disks: list[Disk] | None = None
    filesystems: list[Filesystem] | None = None

    def content_hash(self) -> str:
        """Return a digest of the Observation's content, the same for the same facts."""
        return content_hash(self.to_json_dict())

    def to_json_dict(self) -> dict[str, Any]:
        """Return the Observation as JSON-ready data, keys as the schema names them."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def content_hash(payload: dict[str, Any]) -> str:
    """Digest of an Observation's JSON data (``to_json_dict``), key order aside."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def observation_json_schema() -> dict[str, Any]:
    """Return the published JSON Schema of the Observation format."""
    return Observation.model_json_schema(by_alias=True, mode="validation")


OBSERVATION_FIELDS = "see `muster schema observation` for the fields"


def parse_observation(data: object, *, where: str = "observation") -> Observation:
    """Validate one Observation, raising ObservationError that names field and value."""
    try:
        return Observation.model_validate(data)
    except ValidationError as exc:
        raise ObservationError(describe_validation_error(exc, where=where)) from exc


def describe_validation_error(
    exc: ValidationError, *, where: str, fields_hint: str | None = OBSERVATION_FIELDS
) -> str:
    """Turn pydantic's errors into lines naming the field path and the bad value."""
    lines = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{where}: {path}: {describe_field_error(error, fields_hint=fields_hint)}")
    return "\n".join(lines)


def describe_field_error(
    error: Mapping[str, Any], *, fields_hint: str | None = OBSERVATION_FIELDS
) -> str:
    """Say what is wrong with one field and, unless the message quotes it, the value given."""
    message = clean_validation_message(error, fields_hint=fields_hint)
    if error["type"] not in ("extra_forbidden", "missing") and "is not" not in message:
        message = f"{message} (got {error['input']!r})"
    return message


def clean_validation_message(
    error: Mapping[str, Any], *, fields_hint: str | None = OBSERVATION_FIELDS
) -> str:
    """Say what is wrong with one field in Muster's words rather than pydantic's.

    ``fields_hint`` says where the fields are listed, for an unknown one.
    """
    if error["type"] == "extra_forbidden":
        return "unknown field" + (f"; {fields_hint}" if fields_hint else "")
    if error["type"] == "missing":
        return "required field is missing"
    return str(error["msg"]).removeprefix("Value error, ")


def load_observations(
    text: str, *, name: str = "input", max_errors: int = 20
) -> list[Observation]:
    """Parse a JSON array or JSON Lines of Observations; refuse the lot if any is bad.

    The error lists every bad Observation (up to ``max_errors``) with its line
    or position, so a file can be fixed in one pass. The garbage collector
    waits meanwhile (``gcpause``).
    """
    with collector_paused():
        return _load_observations(text, name, max_errors)


def _load_observations(text: str, name: str, max_errors: int) -> list[Observation]:
    stripped = text.lstrip()
    if not stripped:
        return []
    records: list[tuple[str, object]] = []
    errors: list[str] = []
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ObservationError(
                f"{name}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from exc
        records = [(f"{name}: item {n}", item) for n, item in enumerate(items)]
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((f"{name}: line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                errors.append(f"{name}: line {number}: not valid JSON: {exc.msg}")
    observations = []
    for where, item in records:
        try:
            observations.append(parse_observation(item, where=where))
        except ObservationError as exc:
            errors.append(str(exc))
    if errors:
        shown = errors[:max_errors]
        if len(errors) > max_errors:
            shown.append(f"... and {len(errors) - max_errors} more")
        raise ObservationError(
            "nothing was ingested; fix these and run again:\n" + "\n".join(shown)
        )
    return observations
