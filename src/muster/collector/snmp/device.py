"""Parsing a device's own MIBs into typed rows: system group, IF-MIB, ENTITY-MIB,
HOST-RESOURCES-MIB and Printer-MIB.

Each function takes a ``Walk`` and returns rows; none talks to the network.
Missing objects give None or empty lists, never errors: agents implement
what they like, and a partial answer is still worth keeping.
"""

import ipaddress
from dataclasses import dataclass
from typing import Literal

from muster.collector.snmp import mibs
from muster.collector.snmp.walk import Oid, Walk, as_mac, as_text, format_oid

Status = Literal["up", "down", "unknown"]
_STATUS: dict[int, Status] = {1: "up", 2: "down"}
# IANAifType values of interfaces that stand for hardware ports.
ETHERNET_TYPES = frozenset({6, 62, 69, 117})  # ethernetCsmacd, fastEther, fastEtherFX, gigabit
WIRELESS_TYPES = frozenset({71})  # ieee80211
SOFTWARE_LOOPBACK = 24
_ENTITY_CHASSIS = 3
StorageKind = Literal["ram", "fixed_disk", "network_disk", "other"]
_STORAGE_KINDS: dict[Oid, StorageKind] = {
    mibs.HR_STORAGE_RAM: "ram",
    mibs.HR_STORAGE_FIXED_DISK: "fixed_disk",
    mibs.HR_STORAGE_NETWORK_DISK: "network_disk",
}


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """The system group and SNMP engine ID: who the device says it is."""

    descr: str | None
    object_id: str | None
    uptime_seconds: float | None
    contact: str | None
    name: str | None
    location: str | None
    services: int | None
    engine_id: str | None


@dataclass(frozen=True, slots=True)
class InterfaceRow:
    """One row of ifTable and ifXTable joined by ifIndex."""

    index: int
    name: str
    descr: str | None
    alias: str | None
    if_type: int | None
    mac: str | None
    speed_bps: int | None
    admin_status: Status | None
    oper_status: Status | None
    ips: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EntityRow:
    """One physical entity (chassis, module, port, power supply, ...)."""

    index: int
    entity_class: int | None
    contained_in: int | None
    descr: str | None
    name: str | None
    serial: str | None
    model: str | None
    manufacturer: str | None
    hardware_rev: str | None
    firmware_rev: str | None
    software_rev: str | None

    @property
    def is_chassis(self) -> bool:
        """True for a chassis entity (entPhysicalClass chassis(3))."""
        return self.entity_class == _ENTITY_CHASSIS


@dataclass(frozen=True, slots=True)
class StorageRow:
    """One hrStorage row in bytes."""

    descr: str
    kind: StorageKind
    size_bytes: int
    used_bytes: int


@dataclass(frozen=True, slots=True)
class HostResources:
    """What HOST-RESOURCES-MIB says of a host: memory, processors, storage, software."""

    memory_bytes: int | None
    uptime_seconds: float | None
    processors: tuple[str, ...] = ()
    printers: tuple[str, ...] = ()
    storage: tuple[StorageRow, ...] = ()
    software: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PrinterInfo:
    """Printer-MIB's general table: the printer's name, serial and page count."""

    name: str | None
    serial: str | None
    page_count: int | None


def parse_system(walk: Walk) -> SystemInfo:
    """Parse the system group and snmpEngineID."""
    object_id = walk.object_id(mibs.SYS_OBJECT_ID)
    uptime = walk.integer(mibs.SYS_UPTIME)
    engine = walk.get(mibs.SNMP_ENGINE_ID)
    return SystemInfo(
        descr=walk.text(mibs.SYS_DESCR),
        object_id=format_oid(object_id) if object_id else None,
        uptime_seconds=uptime / 100 if uptime is not None else None,
        contact=walk.text(mibs.SYS_CONTACT),
        name=walk.text(mibs.SYS_NAME),
        location=walk.text(mibs.SYS_LOCATION),
        services=walk.integer(mibs.SYS_SERVICES),
        engine_id=engine.hex() if isinstance(engine, bytes) and engine else None,
    )


def parse_interfaces(walk: Walk) -> list[InterfaceRow]:
    """Join ifTable, ifXTable and ipAddrTable by ifIndex, in ifIndex order."""
    descr = walk.column(mibs.IF_DESCR)
    names = walk.column(mibs.IF_NAME)
    indexes = sorted({i[0] for i in (*descr, *names) if len(i) == 1})
    addresses: dict[int, list[str]] = {}
    for address_index, if_index in walk.column(mibs.IP_AD_ENT_IF_INDEX).items():
        if len(address_index) == 4 and isinstance(if_index, int):
            address = str(ipaddress.IPv4Address(bytes(address_index)))
            addresses.setdefault(if_index, []).append(address)
    columns = {
        oid: walk.column(oid)
        for oid in (
            mibs.IF_TYPE,
            mibs.IF_SPEED,
            mibs.IF_PHYS_ADDRESS,
            mibs.IF_ADMIN_STATUS,
            mibs.IF_OPER_STATUS,
            mibs.IF_HIGH_SPEED,
            mibs.IF_ALIAS,
        )
    }
    rows = []
    for index in indexes:
        key: Oid = (index,)

        def integer(oid: Oid, key: Oid = key) -> int | None:
            value = columns[oid].get(key)
            return value if isinstance(value, int) else None

        name = as_text(names.get(key)) or as_text(descr.get(key)) or f"ifIndex {index}"
        rows.append(
            InterfaceRow(
                index=index,
                name=name,
                descr=as_text(descr.get(key)),
                alias=as_text(columns[mibs.IF_ALIAS].get(key)),
                if_type=integer(mibs.IF_TYPE),
                mac=as_mac(columns[mibs.IF_PHYS_ADDRESS].get(key)),
                speed_bps=_speed(integer(mibs.IF_SPEED), integer(mibs.IF_HIGH_SPEED)),
                admin_status=_status(integer(mibs.IF_ADMIN_STATUS)),
                oper_status=_status(integer(mibs.IF_OPER_STATUS)),
                ips=tuple(sorted(addresses.get(index, []), key=ipaddress.IPv4Address)),
            )
        )
    return rows


def _speed(if_speed: int | None, high_speed: int | None) -> int | None:
    # ifSpeed saturates at 4294967295 bit/s; ifHighSpeed counts Mbit/s beyond that.
    if high_speed:
        return high_speed * 1_000_000
    return if_speed


def _status(value: int | None) -> Status | None:
    if value is None:
        return None
    return _STATUS.get(value, "unknown")


def parse_entities(walk: Walk) -> list[EntityRow]:
    """Parse entPhysicalTable, in entPhysicalIndex order."""
    columns = {
        oid: walk.column(oid)
        for oid in (
            mibs.ENT_DESCR,
            mibs.ENT_CONTAINED_IN,
            mibs.ENT_CLASS,
            mibs.ENT_NAME,
            mibs.ENT_HARDWARE_REV,
            mibs.ENT_FIRMWARE_REV,
            mibs.ENT_SOFTWARE_REV,
            mibs.ENT_SERIAL,
            mibs.ENT_MFG_NAME,
            mibs.ENT_MODEL_NAME,
        )
    }
    indexes = sorted({key[0] for rows in columns.values() for key in rows if len(key) == 1})
    entities = []
    for index in indexes:
        key = (index,)

        def text(oid: Oid, key: Oid = key) -> str | None:
            return as_text(columns[oid].get(key))

        def integer(oid: Oid, key: Oid = key) -> int | None:
            value = columns[oid].get(key)
            return value if isinstance(value, int) else None

        entities.append(
            EntityRow(
                index=index,
                entity_class=integer(mibs.ENT_CLASS),
                contained_in=integer(mibs.ENT_CONTAINED_IN),
                descr=text(mibs.ENT_DESCR),
                name=text(mibs.ENT_NAME),
                serial=text(mibs.ENT_SERIAL),
                model=text(mibs.ENT_MODEL_NAME),
                manufacturer=text(mibs.ENT_MFG_NAME),
                hardware_rev=text(mibs.ENT_HARDWARE_REV),
                firmware_rev=text(mibs.ENT_FIRMWARE_REV),
                software_rev=text(mibs.ENT_SOFTWARE_REV),
            )
        )
    return entities


def main_chassis(entities: list[EntityRow]) -> EntityRow | None:
    """Return the outermost chassis (in a stack, the first member), or None."""
    chassis = [e for e in entities if e.is_chassis]
    top = [e for e in chassis if not e.contained_in]
    for candidate in top or chassis:
        return candidate
    return None


def parse_host_resources(walk: Walk) -> HostResources | None:
    """Parse HOST-RESOURCES-MIB, or None when the device does not implement it."""
    memory_kib = walk.integer(mibs.HR_MEMORY_SIZE)
    uptime = walk.integer(mibs.HR_SYSTEM_UPTIME)
    if memory_kib is None and uptime is None:
        return None
    types = walk.column(mibs.HR_DEVICE_TYPE)
    descrs = walk.column(mibs.HR_DEVICE_DESCR)
    processors = [
        as_text(descrs.get(i)) or "processor"
        for i, t in types.items()
        if t == mibs.HR_DEVICE_PROCESSOR
    ]
    printers = [
        as_text(descrs.get(i)) or "printer"
        for i, t in types.items()
        if t == mibs.HR_DEVICE_PRINTER
    ]
    software = [
        name
        for value in walk.column(mibs.HR_SW_INSTALLED_NAME).values()
        if (name := as_text(value))
    ]
    return HostResources(
        memory_bytes=memory_kib * 1024 if memory_kib is not None else None,
        uptime_seconds=uptime / 100 if uptime is not None else None,
        processors=tuple(processors),
        printers=tuple(printers),
        storage=tuple(_storage(walk)),
        software=tuple(sorted(set(software))),
    )


def _storage(walk: Walk) -> list[StorageRow]:
    types = walk.column(mibs.HR_STORAGE_TYPE)
    descrs = walk.column(mibs.HR_STORAGE_DESCR)
    units = walk.column(mibs.HR_STORAGE_UNITS)
    sizes = walk.column(mibs.HR_STORAGE_SIZE)
    used = walk.column(mibs.HR_STORAGE_USED)
    rows = []
    for index, storage_type in sorted(types.items()):
        unit, size, in_use = units.get(index), sizes.get(index), used.get(index)
        descr = as_text(descrs.get(index))
        if not (isinstance(unit, int) and isinstance(size, int) and descr):
            continue
        rows.append(
            StorageRow(
                descr=descr,
                kind=_STORAGE_KINDS.get(storage_type, "other")
                if isinstance(storage_type, tuple)
                else "other",
                size_bytes=max(size, 0) * unit,
                used_bytes=max(in_use, 0) * unit if isinstance(in_use, int) else 0,
            )
        )
    return rows


def parse_printer(walk: Walk) -> PrinterInfo | None:
    """Parse Printer-MIB's first printer, or None when the device has none."""
    names = walk.column(mibs.PRT_GENERAL_PRINTER_NAME)
    serials = walk.column(mibs.PRT_GENERAL_SERIAL_NUMBER)
    counts = walk.column(mibs.PRT_MARKER_LIFE_COUNT)
    if not (names or serials or counts):
        return None
    first = min((*names, *serials), default=None)
    page_count = next((v for _, v in sorted(counts.items()) if isinstance(v, int)), None)
    return PrinterInfo(
        name=as_text(names.get(first)) if first else None,
        serial=as_text(serials.get(first)) if first else None,
        page_count=page_count,
    )
