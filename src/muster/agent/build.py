"""From the host's facts to one Observation (source ``agent``).

This is the only module that knows the Observation's shape. The FQDN goes
into the host name (the CMDB keeps the domain apart).
"""

import dataclasses
import ipaddress
from datetime import datetime
from typing import Any

from muster.agent.facts import DiskFacts, FilesystemFacts, HostFacts, InterfaceFacts, PackageFacts
from muster.cmdb.observation import SCHEMA_ID, Observation, parse_observation

# SMBIOS chassis types by the asset kind they mean.
LAPTOP_CHASSIS = frozenset({8, 9, 10, 14, 30, 31, 32})
SERVER_CHASSIS = frozenset({17, 23, 25, 28, 29})
_UNTELLING_CHASSIS = frozenset({1, 2})


def build_observation(facts: HostFacts, *, observed_at: datetime, site: str | None) -> Observation:
    """Return the Observation of a host's facts, validated against the published schema."""
    data: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "source": "agent",
        "observed_at": observed_at.isoformat(),
        "collector": facts.hostname,
        "identifiers": _identifiers(facts),
        "attributes": _attributes(facts),
        "evidence": _evidence(facts),
        "interfaces": _interfaces(facts.interfaces),
        "disks": None if facts.disks is None else [_row(d) for d in facts.disks],
        "filesystems": None if facts.filesystems is None else [_row(f) for f in facts.filesystems],
        "software": None if facts.packages is None else [_software(p) for p in facts.packages],
    }
    if site is not None:
        data["site"] = site
    return parse_observation(_without_none(data), where="agent inventory")


def _identifiers(facts: HostFacts) -> dict[str, Any]:
    interfaces = facts.interfaces or ()
    return {
        "serial": facts.serial,
        "system_uuid": facts.system_uuid,
        "machine_id": facts.machine_id,
        "macs": sorted({i.mac for i in interfaces if i.mac}),
        "hostname": facts.fqdn or facts.hostname,
        "ips": sorted(
            {a for i in interfaces for a in i.addresses if _identifying_address(a)},
            key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a)),
        ),
    }


def _identifying_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_loopback or ip.is_link_local or ip.is_multicast)


def _attributes(facts: HostFacts) -> dict[str, Any]:
    kind, _reason = kind_of(facts)
    return {
        "kind": kind,
        "vendor": facts.system_vendor,
        "model": facts.system_model,
        "os_name": facts.os_name,
        "os_version": facts.os_version,
        "os_kernel": facts.os_kernel,
        "arch": facts.arch,
        "cpu_model": facts.cpu_model,
        "cpu_sockets": facts.cpu_sockets,
        "cpu_cores": facts.cpu_cores,
        "cpu_threads": facts.cpu_threads,
        "memory_bytes": facts.memory_bytes,
        "virtual": facts.virtual,
        "hypervisor": facts.hypervisor,
        "chassis": facts.chassis,
        "firmware": facts.firmware_version,
        "firmware_date": facts.firmware_date.isoformat() if facts.firmware_date else None,
        "boot_time": facts.boot_time.isoformat() if facts.boot_time else None,
        "battery": facts.battery_present,
        "gateways": [g for g in (facts.default_gateway, facts.default_gateway_ipv6) if g] or None,
    }


def kind_of(facts: HostFacts) -> tuple[str | None, str | None]:
    """Decide the asset kind from the chassis type (or battery) and say why."""
    code = facts.chassis_type
    described = f"DMI chassis type {code} ({facts.chassis})"
    if code in LAPTOP_CHASSIS:
        return "laptop", described
    if code in SERVER_CHASSIS:
        return "server", described
    if code is not None and code not in _UNTELLING_CHASSIS:
        return "workstation", described
    # The chassis says nothing (absent, "Other" or "Unknown"): look further.
    if facts.battery_present:
        return "laptop", "the host has a battery"
    if code is not None and facts.virtual and facts.hypervisor:
        return "server", f"{described} of a {facts.hypervisor} virtual machine"
    if code is not None:
        return "workstation", described
    return None, None


def _evidence(facts: HostFacts) -> list[dict[str, str]]:
    kind, reason = kind_of(facts)
    if kind is None or reason is None:
        return []
    return [{"attribute": "kind", "value": kind, "reason": reason}]


def _interfaces(interfaces: tuple[InterfaceFacts, ...] | None) -> list[dict[str, Any]] | None:
    if interfaces is None:
        return None
    return [
        {
            "name": i.name,
            "mac": i.mac,
            "ips": list(i.addresses),
            "speed_bps": i.speed_bps,
            "oper_status": i.oper_status,
            "admin_status": i.admin_status,
        }
        for i in interfaces
    ]


def _row(item: DiskFacts | FilesystemFacts) -> dict[str, Any]:
    return dataclasses.asdict(item)


def _software(package: PackageFacts) -> dict[str, Any]:
    return {
        "name": package.name,
        "version": package.version,
        "arch": package.arch,
        "vendor": package.vendor,
        "package_manager": package.manager,
    }


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value
