"""From one device's walk to Observations: parse every MIB, classify, and report
the device itself plus the hosts it knows of (ARP cache, forwarding table).

This is pure: a recorded walk gives the same Observations as a live one,
which is how the parser tests run without a network.

What one device's walk becomes:

- one Observation of the device (identifiers: chassis or printer serial,
  SNMP engine ID, interface MACs, sysName, addresses; attributes from the
  system group and HOST-RESOURCES-MIB; kind, vendor and model with their
  evidence; interfaces, software and filesystems);
- one Observation per host MAC it locates on an access port (attributes
  ``switch`` = the switch's sysName, ``switch_port`` = the port's ifName)
  and per host in its ARP cache (MAC and address), one per MAC when both.
"""

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from muster.cmdb.network import mac_identity_problem
from muster.cmdb.observation import Observation, parse_observation
from muster.collector.classify import Classification, DeviceFacts, classify
from muster.collector.snmp import mibs
from muster.collector.snmp.device import (
    EntityRow,
    HostResources,
    InterfaceRow,
    PrinterInfo,
    SystemInfo,
    main_chassis,
    parse_entities,
    parse_host_resources,
    parse_interfaces,
    parse_printer,
    parse_system,
)
from muster.collector.snmp.neighbours import (
    ArpEntry,
    HostLocation,
    UplinkPort,
    locate_hosts,
    parse_arp_cache,
    parse_base_ports,
    parse_capabilities,
    parse_forwarding,
    parse_lldp,
)
from muster.collector.snmp.walk import Walk

_HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")
# Engine ID formats (RFC 3411) that are as unique as a MAC or a random number; IPv4,
# IPv6 and text formats are often left at defaults shared by many devices.
_UNIQUE_ENGINE_FORMATS = frozenset({3, 5})
_WINDOWS_DRIVE = re.compile(r"^([A-Za-z]:\\)(?: Label:|$)")
_DEBIAN_PACKAGE = re.compile(
    r"^(?P<name>[a-z0-9][a-z0-9+.-]+)_(?P<version>[^_\s]+)_(?P<arch>[a-z0-9-]+)$"
)
_NET_SNMP_RANDOM = bytes.fromhex("80001f8880")


@dataclass(frozen=True, slots=True)
class DeviceInventory:
    """Everything one device's walk says, parsed."""

    system: SystemInfo
    interfaces: list[InterfaceRow]
    entities: list[EntityRow]
    host: HostResources | None
    printer: PrinterInfo | None
    arp: list[ArpEntry]
    locations: list[HostLocation]
    uplinks: list[UplinkPort]
    classification: Classification
    lldp_capabilities: frozenset[str] = field(default=frozenset())


def read_inventory(walk: Walk, *, uplink_threshold: int) -> DeviceInventory:
    """Parse a device's walk and classify it."""
    system = parse_system(walk)
    interfaces = parse_interfaces(walk)
    entities = parse_entities(walk)
    host = parse_host_resources(walk)
    printer = parse_printer(walk)
    lldp_bits = walk.get(mibs.LLDP_LOC_SYS_CAP_ENABLED)
    capabilities = parse_capabilities(lldp_bits) if isinstance(lldp_bits, bytes) else frozenset()
    locations, uplinks = locate_hosts(
        parse_forwarding(walk),
        parse_base_ports(walk),
        interfaces,
        parse_lldp(walk),
        uplink_threshold=uplink_threshold,
    )
    chassis = main_chassis(entities)
    facts = DeviceFacts(
        sys_object_id=system.object_id,
        sys_descr=system.descr,
        sys_services=system.services
        if system.services is not None and 0 <= system.services <= 127
        else None,
        ip_forwarding=walk.integer(mibs.IP_FORWARDING) == 1,
        bridge_ports=walk.integer(mibs.DOT1D_BASE_NUM_PORTS),
        lldp_capabilities=capabilities,
        host_resources=host is not None,
        printer_mib=printer is not None,
        printer_model=host.printers[0] if host and host.printers and printer else None,
        entity_vendor=chassis.manufacturer if chassis else None,
        entity_model=chassis.model if chassis else None,
        ups_vendor=walk.text(mibs.UPS_IDENT_MANUFACTURER),
        ups_model=walk.text(mibs.UPS_IDENT_MODEL),
        macs=tuple(row.mac for row in interfaces if row.mac),
    )
    return DeviceInventory(
        system=system,
        interfaces=interfaces,
        entities=entities,
        host=host,
        printer=printer,
        arp=parse_arp_cache(walk) if facts.ip_forwarding else [],
        locations=locations,
        uplinks=uplinks,
        classification=classify(facts),
        lldp_capabilities=capabilities,
    )


@dataclass(frozen=True, slots=True)
class ObservationContext:
    """Where and when the Observations were made, as the sweep says."""

    observed_at: datetime
    site: str | None = None
    sweep_id: int | None = None
    collector: str | None = None


def device_observation(
    inventory: DeviceInventory, address: str, context: ObservationContext
) -> Observation:
    """Return the Observation of the device itself."""
    system, host, cls = inventory.system, inventory.host, inventory.classification
    chassis = main_chassis(inventory.entities)
    identifiers = _device_identifiers(inventory, address)
    uptime = host.uptime_seconds if host and host.uptime_seconds else system.uptime_seconds
    attributes: dict[str, Any] = {
        "kind": cls.kind.value if cls.kind else None,
        "vendor": cls.vendor,
        "model": cls.model,
        "os_name": cls.os_name,
        "description": system.descr[:512] if system.descr else None,
        "location": system.location[:255] if system.location else None,
        "contact": system.contact[:255] if system.contact else None,
        "firmware": (chassis.software_rev or chassis.firmware_rev) if chassis else None,
        "boot_time": (
            (context.observed_at - timedelta(seconds=int(uptime))).isoformat() if uptime else None
        ),
    }
    if host is not None:
        attributes["memory_bytes"] = host.memory_bytes
        attributes["cpu_threads"] = len(host.processors) or None
        attributes["cpu_model"] = host.processors[0][:255] if host.processors else None
    data = _envelope(context, site=context.site)
    data["identifiers"] = {k: v for k, v in identifiers.items() if v}
    data["attributes"] = {k: v for k, v in attributes.items() if v is not None}
    data["evidence"] = [e.model_dump() for e in cls.evidence]
    data["interfaces"] = [_interface(row) for row in inventory.interfaces]
    if host is not None:
        data["software"] = [_software(name) for name in host.software] or None
        data["filesystems"] = [
            {
                "mountpoint": _mountpoint(row.descr),
                "size_bytes": row.size_bytes,
                "used_bytes": row.used_bytes,
            }
            for row in host.storage
            if row.kind in ("fixed_disk", "network_disk")
        ]
    return parse_observation({k: v for k, v in data.items() if v is not None}, where=address)


def _device_identifiers(inventory: DeviceInventory, address: str) -> dict[str, Any]:
    chassis = main_chassis(inventory.entities)
    serial = (chassis.serial if chassis else None) or (
        inventory.printer.serial if inventory.printer else None
    )
    own_ips = [address, *(ip for row in inventory.interfaces for ip in row.ips)]
    name = inventory.system.name
    return {
        "serial": serial,
        "snmp_engine_id": _unique_engine_id(inventory.system.engine_id),
        "macs": list(dict.fromkeys(row.mac for row in inventory.interfaces if row.mac)),
        "hostname": name if name and _HOSTNAME.match(name) else None,
        "ips": [ip for ip in dict.fromkeys(own_ips) if _host_address(ip)],
    }


def host_observations(
    inventory: DeviceInventory, address: str, context: ObservationContext
) -> list[Observation]:
    """Return one Observation per host the device knows: located MACs and ARP entries.

    MACs that cannot identify a machine (randomised, virtual) are left out
    unless the ARP cache gives their address.
    """
    switch = inventory.system.name or address
    own_macs = {row.mac for row in inventory.interfaces if row.mac}
    own_ips = {address, *(ip for row in inventory.interfaces for ip in row.ips)}
    hosts: dict[str, dict[str, Any]] = {}
    for location in inventory.locations:
        if mac_identity_problem(location.mac) is None:
            hosts[location.mac] = {
                "ips": [],
                "switch": switch[:255],
                "switch_port": location.port[:255],
            }
    for entry in inventory.arp:
        if entry.mac in own_macs or entry.ip in own_ips:
            continue
        hosts.setdefault(entry.mac, {"ips": []})["ips"].append(entry.ip)
    observations = []
    for mac, seen in sorted(hosts.items()):
        data = _envelope(context, site=context.site if "switch" in seen else None)
        data["identifiers"] = {"macs": [mac], "ips": sorted(seen["ips"], key=ipaddress.ip_address)}
        data["attributes"] = {k: v for k, v in seen.items() if k != "ips"}
        observations.append(parse_observation(data, where=f"{address} host {mac}"))
    return observations


def _envelope(context: ObservationContext, *, site: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": "muster.observation/1",
        "source": "snmp",
        "observed_at": context.observed_at.isoformat(),
    }
    if site is not None:
        data["site"] = site
    if context.sweep_id is not None:
        data["sweep_id"] = context.sweep_id
    if context.collector is not None:
        data["collector"] = context.collector
    return data


def _interface(row: InterfaceRow) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": row.name[:255],
        "mac": row.mac,
        "ips": list(row.ips),
        "speed_bps": row.speed_bps,
        "oper_status": row.oper_status,
        "admin_status": row.admin_status,
        "description": row.alias[:255] if row.alias else None,
    }
    return {k: v for k, v in data.items() if v is not None}


def _software(installed: str) -> dict[str, str]:
    """Split net-snmp's Debian package names (``bash_5.2.15-2+b2_amd64``); keep others whole."""
    match = _DEBIAN_PACKAGE.match(installed)
    if match is None:
        return {"name": installed[:255]}
    return {k: v[:255] for k, v in match.groupdict().items()}


def _host_address(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return not (address.is_loopback or address.is_unspecified or address.is_link_local)


def _mountpoint(descr: str) -> str:
    """Windows describes a drive as ``C:\\ Label:Data  Serial Number 1848504c``: keep ``C:\\``."""
    match = _WINDOWS_DRIVE.match(descr)
    return match.group(1) if match else descr[:255]


def _unique_engine_id(engine_id: str | None) -> str | None:
    """Return an engine ID only when its format makes it unique to one agent."""
    if not engine_id or not 10 <= len(engine_id) <= 64:
        return None
    raw = bytes.fromhex(engine_id)
    if raw.startswith(_NET_SNMP_RANDOM) or (raw[0] & 0x80 and raw[4] in _UNIQUE_ENGINE_FORMATS):
        return engine_id
    return None
