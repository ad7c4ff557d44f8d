"""From an OCS-style inventory CONTENT to an Observation.

FusionInventory's XML and the GLPI agent's JSON carry the same sections
(HARDWARE, BIOS, OPERATINGSYSTEM, CPUS, NETWORKS, STORAGES, DRIVES,
SOFTWARES, ...); each format's module turns its document into this module's
``Content`` (section names and keys in upper case, a section being one
record or a list of records), and ``to_observation`` maps that to
muster.observation/1. Values a machine reports badly (an empty serial, a
malformed MAC, an unparsable date) are left out rather than refusing the
whole inventory; identity rules grade placeholders.
"""

import contextlib
import ipaddress
import logging
import uuid
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from muster.cmdb.kinds import parse_kind
from muster.cmdb.network import canonical_mac
from muster.cmdb.observation import Observation, parse_observation
from muster.cmdb.placeholders import is_placeholder_vendor
from muster.cmdb.sources import Source

logger = logging.getLogger(__name__)

Record = Mapping[str, Any]
Content = Mapping[str, Any]

_MIB = 1024 * 1024
_MAX_TEXT = 255
_SKIPPED_STORAGE = frozenset({"cdrom", "dvd", "floppy"})
# Chassis words of SMBIOS not in the kind vocabulary's aliases.
_CHASSIS_KINDS = {
    "laptop": "laptop",
    "notebook": "laptop",
    "sub notebook": "laptop",
    "hand held": "laptop",
    "desktop": "workstation",
    "low profile desktop": "workstation",
    "mini tower": "workstation",
    "tower": "workstation",
    "all in one": "workstation",
    "space-saving": "workstation",
    "mini pc": "workstation",
    "rack mount chassis": "server",
    "blade": "server",
    "main server chassis": "server",
}


def records(content: Content, section: str) -> list[Record]:
    """Return a section as a list of records, whether it held one or many."""
    value = content.get(section)
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, Mapping)]
    return []


def record(content: Content, section: str) -> Record:
    """Return the first record of a section, or an empty one."""
    found = records(content, section)
    return found[0] if found else {}


def text(value: Any, limit: int = _MAX_TEXT) -> str | None:
    """Return a reported value as trimmed text, None when empty."""
    if value is None or isinstance(value, Mapping | list):
        return None
    cleaned = " ".join(str(value).split())
    return cleaned[:limit] or None


def number(value: Any) -> int | None:
    """Return a reported count as a non-negative integer, None when it is not one."""
    with contextlib.suppress(TypeError, ValueError):
        parsed = int(float(str(value).strip()))
        if parsed >= 0:
            return parsed
    return None


def mac(value: Any) -> str | None:
    """Return a canonical MAC, None for a missing, all-zero or malformed one."""
    raw = text(value)
    if raw is None:
        return None
    try:
        canonical = canonical_mac(raw)
    except ValueError:
        logger.debug("inventory MAC %r is not a MAC; left out", raw)
        return None
    return None if canonical == "00:00:00:00:00:00" else canonical


def address(value: Any) -> str | None:
    """Return a canonical IP address, None for a missing or malformed one."""
    raw = text(value)
    if raw is None:
        return None
    try:
        return str(ipaddress.ip_address(raw.split("%")[0]))
    except ValueError:
        return None


def bios_date(value: Any) -> date | None:
    """Return a BIOS date given as MM/DD/YYYY or YYYY-MM-DD."""
    raw = text(value)
    for pattern in ("%m/%d/%Y", "%Y-%m-%d"):
        with contextlib.suppress(TypeError, ValueError):
            return datetime.strptime((raw or "")[:10], pattern).date()
    return None


def system_uuid(value: Any) -> str | None:
    """Return a canonical SMBIOS UUID, None when it is not one."""
    raw = text(value)
    with contextlib.suppress(TypeError, ValueError):
        return str(uuid.UUID((raw or "").strip("{}")))
    return None


def to_observation(
    content: Content, *, source: Source, observed_at: datetime, collector: str | None
) -> Observation:
    """Map an inventory's content to an Observation of the machine it describes."""
    interfaces = list(_interfaces(content))
    data: dict[str, Any] = {
        "schema": "muster.observation/1",
        "source": source.value,
        "observed_at": observed_at.isoformat(),
        "identifiers": _identifiers(content, interfaces),
        "attributes": _attributes(content),
        "evidence": _evidence(content),
        "interfaces": [{k: v for k, v in i.items() if k != "virtual"} for i in interfaces],
        "software": _software(content),
        "disks": _disks(content),
        "filesystems": _filesystems(content),
    }
    if collector:
        data["collector"] = collector
    return parse_observation(data, where=f"{source.value} inventory")


def _identifiers(content: Content, interfaces: list[dict[str, Any]]) -> dict[str, Any]:
    bios, hardware, system = (record(content, s) for s in ("BIOS", "HARDWARE", "OPERATINGSYSTEM"))
    physical = [i for i in interfaces if not i["virtual"]]
    macs = list(dict.fromkeys(i["mac"] for i in physical if i.get("mac")))
    ips = list(
        dict.fromkeys(
            ip
            for i in physical
            for ip in i["ips"]
            if not ipaddress.ip_address(ip).is_loopback
            and not ipaddress.ip_address(ip).is_link_local
        )
    )
    fqdn = text(system.get("FQDN"))
    hostname = fqdn if fqdn and "." in fqdn else text(hardware.get("NAME")) or fqdn
    found = {
        "serial": text(bios.get("SSN")),
        "system_uuid": system_uuid(hardware.get("UUID")),
        "hostname": hostname,
        "macs": macs,
        "ips": ips,
    }
    return {k: v for k, v in found.items() if v}


def _attributes(content: Content) -> dict[str, Any]:
    bios, hardware, system = (record(content, s) for s in ("BIOS", "HARDWARE", "OPERATINGSYSTEM"))
    cpus = records(content, "CPUS")
    vm_system = text(hardware.get("VMSYSTEM"))
    virtual = None if vm_system is None else vm_system.lower() != "physical"
    memory_mib = number(hardware.get("MEMORY"))
    found: dict[str, Any] = {
        "kind": kind[0] if (kind := _kind(content)) else None,
        "vendor": _known(bios.get("SMANUFACTURER")) or _known(bios.get("MMANUFACTURER")),
        "model": _known(bios.get("SMODEL")) or _known(bios.get("MMODEL")),
        "os_name": text(system.get("FULL_NAME")) or text(hardware.get("OSNAME")),
        "os_version": text(system.get("VERSION")) or text(hardware.get("OSVERSION")),
        "os_kernel": text(system.get("KERNEL_VERSION")),
        "arch": text(system.get("ARCH")),
        "cpu_model": text(cpus[0].get("NAME")) if cpus else None,
        "cpu_sockets": len(cpus) or None,
        "cpu_cores": sum(number(c.get("CORE")) or 0 for c in cpus) or None,
        "cpu_threads": sum(number(c.get("THREAD")) or 0 for c in cpus) or None,
        "memory_bytes": memory_mib * _MIB if memory_mib else None,
        "virtual": virtual,
        "hypervisor": vm_system if virtual else None,
        "chassis": text(hardware.get("CHASSIS_TYPE")),
        "firmware": text(bios.get("BVERSION")),
        "firmware_date": bios_date(bios.get("BDATE")),
    }
    return {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in found.items() if v is not None
    }


def _known(value: Any) -> str | None:
    """Return a maker's or model's name, None for a firmware placeholder."""
    found = text(value)
    return None if found is None or is_placeholder_vendor(found) else found


def _kind(content: Content) -> tuple[str, str] | None:
    """Return the asset kind the inventory shows, and why."""
    chassis = text(record(content, "HARDWARE").get("CHASSIS_TYPE"))
    if chassis:
        parsed = parse_kind(chassis)
        kind = _CHASSIS_KINDS.get(chassis.lower()) or (parsed.value if parsed else None)
        if kind is not None:
            return kind, f"chassis type {chassis!r} in the agent's inventory"
    os_name = text(record(content, "OPERATINGSYSTEM").get("FULL_NAME"))
    if os_name and "server" in os_name.lower():
        return "server", f"server operating system {os_name!r} in the agent's inventory"
    return None


def _evidence(content: Content) -> list[dict[str, str]]:
    found = _kind(content)
    if found is None:
        return []
    return [{"attribute": "kind", "value": found[0], "reason": found[1]}]


def _interfaces(content: Content) -> Iterator[dict[str, Any]]:
    """Merge NETWORKS records (one per address) into one interface per name."""
    merged: dict[str, dict[str, Any]] = {}
    for entry in records(content, "NETWORKS"):
        name = text(entry.get("DESCRIPTION")) or text(entry.get("NAME"))
        kind = (text(entry.get("TYPE")) or "").lower()
        if name is None or kind == "loopback" or name == "lo":
            continue
        interface = merged.setdefault(
            name, {"name": name, "ips": [], "virtual": _truthy(entry.get("VIRTUALDEV"))}
        )
        found_mac = mac(entry.get("MACADDR", entry.get("MAC")))
        if found_mac and "mac" not in interface:
            interface["mac"] = found_mac
        for key in ("IPADDRESS", "IPADDRESS6"):
            ip = address(entry.get(key))
            if ip and ip not in interface["ips"]:
                interface["ips"].append(ip)
        speed = number(entry.get("SPEED"))
        if speed and "speed_bps" not in interface:
            interface["speed_bps"] = speed * 1_000_000
        status = (text(entry.get("STATUS")) or "").lower()
        if status in ("up", "down"):
            interface["oper_status"] = status
    yield from merged.values()


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def _software(content: Content) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
    for entry in records(content, "SOFTWARES"):
        name = text(entry.get("NAME"))
        if name is None:
            continue
        item = {
            "name": name,
            "version": text(entry.get("VERSION")),
            "vendor": text(entry.get("PUBLISHER")),
            "arch": text(entry.get("ARCH")),
        }
        seen.setdefault((name, item["version"], item["arch"]), item)
    return [{k: v for k, v in item.items() if v is not None} for item in seen.values()]


def _disks(content: Content) -> list[dict[str, Any]]:
    disks = []
    for entry in records(content, "STORAGES"):
        name = text(entry.get("NAME"))
        kind = (text(entry.get("TYPE")) or "").lower()
        if name is None or kind in _SKIPPED_STORAGE:
            continue
        size = number(entry.get("DISKSIZE"))
        found = {
            "name": name,
            "model": text(entry.get("MODEL")),
            "serial": text(entry.get("SERIALNUMBER")),
            "size_bytes": size * _MIB if size else None,
            "media": _media(entry),
        }
        disks.append({k: v for k, v in found.items() if v is not None})
    return disks


def _media(entry: Record) -> str | None:
    words = " ".join(
        (text(entry.get(key)) or "").lower() for key in ("INTERFACE", "MODEL", "DESCRIPTION")
    )
    if "nvme" in words:
        return "nvme"
    if "ssd" in words or "solid state" in words:
        return "ssd"
    if "usb" in words:
        return "removable"
    if "virtual" in words or "qemu" in words or "vmware" in words:
        return "virtual"
    return None


def _filesystems(content: Content) -> list[dict[str, Any]]:
    filesystems: dict[str, dict[str, Any]] = {}
    for entry in records(content, "DRIVES"):
        mountpoint = text(entry.get("LETTER")) or text(entry.get("TYPE"))
        if mountpoint is None:
            continue
        total, free = number(entry.get("TOTAL")), number(entry.get("FREE"))
        found = {
            "mountpoint": mountpoint,
            "device": text(entry.get("VOLUMN")),
            "fstype": text(entry.get("FILESYSTEM"), 64),
            "size_bytes": total * _MIB if total else None,
            "used_bytes": max(total - free, 0) * _MIB if total and free is not None else None,
        }
        filesystems.setdefault(mountpoint, {k: v for k, v in found.items() if v is not None})
    return list(filesystems.values())
