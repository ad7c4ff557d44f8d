"""Parsing what a device knows of others: ARP cache, forwarding tables, LLDP neighbours,
and locating each host MAC to the switch port it is plugged into.

A switch learns every MAC that crosses it, on the port it came in by, so a
host MAC is seen on its own access port and on every uplink between that
switch and the collector. Only the access port says where the host is;
uplinks are told apart by their LLDP neighbour (a switch or router) or by
how many MACs they carry.
"""

import ipaddress
from collections import defaultdict
from dataclasses import dataclass

from muster.collector.snmp import mibs
from muster.collector.snmp.device import InterfaceRow
from muster.collector.snmp.walk import Oid, Value, Walk, as_mac, as_text

_ARP_INVALID = 2
_FDB_LEARNED = 3
# LLDP-MIB's LldpSystemCapabilitiesMap is a BITS value: bit 0 is the high bit of octet 0.
_CAPABILITY_BITS = {
    "other": 0,
    "repeater": 1,
    "bridge": 2,
    "wlan_access_point": 3,
    "router": 4,
    "telephone": 5,
    "docsis": 6,
    "station": 7,
}


@dataclass(frozen=True, slots=True)
class ArpEntry:
    """One ipNetToMedia row: an address and the MAC that answered for it."""

    if_index: int
    ip: str
    mac: str
    static: bool


@dataclass(frozen=True, slots=True)
class ForwardingEntry:
    """One learned MAC in a forwarding table, on a bridge port (and FDB id for Q-BRIDGE)."""

    mac: str
    bridge_port: int
    fdb_id: int | None


@dataclass(frozen=True, slots=True)
class LldpNeighbour:
    """One LLDP remote system, seen on a local port."""

    local_port: int
    chassis_id: str | None
    port_id: str | None
    sys_name: str | None
    capabilities: frozenset[str]

    @property
    def is_network_device(self) -> bool:
        """True for a switch or router: the port it is on is an uplink.

        IP phones advertise the bridge capability for their PC port, so a
        neighbour that is also a telephone or a station is not an uplink.
        """
        if "router" in self.capabilities:
            return True
        return "bridge" in self.capabilities and not (self.capabilities & {"telephone", "station"})


@dataclass(frozen=True, slots=True)
class HostLocation:
    """Where a host MAC is plugged in: the switch port's ifName and ifIndex."""

    mac: str
    port: str
    if_index: int
    fdb_id: int | None


@dataclass(frozen=True, slots=True)
class UplinkPort:
    """A port left out of locating, and why."""

    port: str
    reason: str


def parse_arp_cache(walk: Walk) -> list[ArpEntry]:
    """Parse ipNetToMediaTable, leaving out invalidated entries."""
    types = walk.column(mibs.IP_NET_TO_MEDIA_TYPE)
    entries = []
    for index, value in sorted(walk.column(mibs.IP_NET_TO_MEDIA_PHYS_ADDRESS).items()):
        mac = as_mac(value)
        if mac is None or len(index) != 5 or types.get(index) == _ARP_INVALID:
            continue
        ip = str(ipaddress.IPv4Address(bytes(index[1:])))
        entries.append(ArpEntry(index[0], ip, mac, static=types.get(index) == 4))
    return entries


def cisco_vlans(walk: Walk) -> list[int]:
    """Return the VLANs whose forwarding tables a Cisco switch keeps apart, VLAN 1 left out.

    The access VLANs of ports (vmVlan) are the ones hosts sit in; without
    them, every operational VLAN (vtpVlanState) but the reserved 1002-1005.
    """
    access = {v for v in walk.column(mibs.VM_VLAN).values() if isinstance(v, int)}
    operational = {
        index[-1] for index, state in walk.column(mibs.VTP_VLAN_STATE).items() if state == 1
    }
    vlans = access or operational
    return sorted(v for v in vlans if 1 < v < 4095 and not 1002 <= v <= 1005)


def as_vlan_rows(vlan: int, varbinds: list[tuple[Oid, Value]]) -> list[tuple[Oid, Value]]:
    """Re-key one VLAN's BRIDGE-MIB forwarding rows as Q-BRIDGE rows of that VLAN.

    The same MAC may be learned in several VLANs; keyed by VLAN, as Q-BRIDGE
    keys them, the rows of all VLANs fit in one walk without overwriting
    each other.
    """
    renamed = {mibs.DOT1D_TP_FDB_PORT: mibs.DOT1Q_TP_FDB_PORT}
    renamed[mibs.DOT1D_TP_FDB_STATUS] = mibs.DOT1Q_TP_FDB_STATUS
    rows: list[tuple[Oid, Value]] = []
    for oid, value in varbinds:
        for column, q_column in renamed.items():
            if oid[: len(column)] == column:
                rows.append(((*q_column, vlan, *oid[len(column) :]), value))
                break
        else:
            rows.append((oid, value))
    return rows


def parse_base_ports(walk: Walk) -> dict[int, int]:
    """Map bridge port numbers to ifIndex (dot1dBasePortIfIndex)."""
    return {
        index[0]: value
        for index, value in walk.column(mibs.DOT1D_BASE_PORT_IF_INDEX).items()
        if len(index) == 1 and isinstance(value, int)
    }


def parse_forwarding(walk: Walk) -> list[ForwardingEntry]:
    """Parse the learned entries of dot1dTpFdbTable and dot1qTpFdbTable."""
    entries: dict[tuple[str, int, int | None], ForwardingEntry] = {}
    tables: tuple[tuple[Oid, Oid, int], ...] = (
        (mibs.DOT1D_TP_FDB_PORT, mibs.DOT1D_TP_FDB_STATUS, 0),
        (mibs.DOT1Q_TP_FDB_PORT, mibs.DOT1Q_TP_FDB_STATUS, 1),
    )
    for port_column, status_column, fdb_id_parts in tables:
        statuses = walk.column(status_column)
        for index, port in walk.column(port_column).items():
            if len(index) != 6 + fdb_id_parts or not isinstance(port, int) or port <= 0:
                continue
            status = statuses.get(index)
            if status is not None and status != _FDB_LEARNED:
                continue
            mac = as_mac(bytes(index[fdb_id_parts:]))
            if mac is None:
                continue
            fdb_id = index[0] if fdb_id_parts else None
            entries[(mac, port, fdb_id)] = ForwardingEntry(mac, port, fdb_id)
    return sorted(entries.values(), key=lambda e: (e.mac, e.bridge_port, e.fdb_id or 0))


def parse_lldp(walk: Walk) -> list[LldpNeighbour]:
    """Parse lldpRemTable."""
    chassis = walk.column(mibs.LLDP_REM_CHASSIS_ID)
    ports = walk.column(mibs.LLDP_REM_PORT_ID)
    names = walk.column(mibs.LLDP_REM_SYS_NAME)
    capabilities = walk.column(mibs.LLDP_REM_SYS_CAP_ENABLED)
    indexes = sorted({i for i in (*chassis, *names, *capabilities) if len(i) == 3})
    neighbours = []
    for index in indexes:
        bits = capabilities.get(index)
        neighbours.append(
            LldpNeighbour(
                local_port=index[1],
                chassis_id=_identifier(chassis.get(index)),
                port_id=_identifier(ports.get(index)),
                sys_name=as_text(names.get(index)),
                capabilities=parse_capabilities(bits if isinstance(bits, bytes) else b""),
            )
        )
    return neighbours


def _identifier(value: Value | None) -> str | None:
    """Render an LLDP chassis or port ID: text when printable, else a MAC, else hex."""
    if not isinstance(value, bytes) or not value:
        return None
    text = as_text(value)
    if text is not None and text.isprintable():
        return text
    return as_mac(value) or value.hex()


def parse_capabilities(bits: bytes) -> frozenset[str]:
    """Decode an LLDP capabilities BITS value into capability names."""
    return frozenset(
        name
        for name, bit in _CAPABILITY_BITS.items()
        if len(bits) > bit // 8 and bits[bit // 8] & (0x80 >> (bit % 8))
    )


def locate_hosts(
    forwarding: list[ForwardingEntry],
    base_ports: dict[int, int],
    interfaces: list[InterfaceRow],
    neighbours: list[LldpNeighbour],
    *,
    uplink_threshold: int,
) -> tuple[list[HostLocation], list[UplinkPort]]:
    """Locate each host MAC to its access port; return the locations and the uplinks left out.

    A port is an uplink when an LLDP neighbour on it is a switch or router,
    or when more than ``uplink_threshold`` MACs were learned on it. MACs of
    the switch's own interfaces are never hosts.
    """
    by_if_index = {row.index: row for row in interfaces}
    own_macs = {row.mac for row in interfaces if row.mac}
    # Without dot1dBasePortIfIndex, bridge port numbers are taken to be ifIndexes.
    if_index_of = base_ports or {port: port for port in by_if_index}

    macs_on: dict[int, set[str]] = defaultdict(set)
    for entry in forwarding:
        if_index = if_index_of.get(entry.bridge_port)
        if if_index is not None and entry.mac not in own_macs:
            macs_on[if_index].add(entry.mac)

    uplinks: dict[int, str] = {}
    for neighbour in neighbours:
        if neighbour.is_network_device:
            if_index = if_index_of.get(neighbour.local_port, neighbour.local_port)
            name = neighbour.sys_name or neighbour.chassis_id or "a network device"
            uplinks[if_index] = f"LLDP neighbour {name} is a switch or router"
    for if_index, macs in macs_on.items():
        if if_index not in uplinks and len(macs) > uplink_threshold:
            uplinks[if_index] = f"{len(macs)} MACs learned, more than {uplink_threshold}"

    locations = []
    for entry in forwarding:
        if_index = if_index_of.get(entry.bridge_port)
        if if_index is None or if_index in uplinks or entry.mac in own_macs:
            continue
        row = by_if_index.get(if_index)
        port = row.name if row else f"ifIndex {if_index}"
        locations.append(HostLocation(entry.mac, port, if_index, entry.fdb_id))
    left_out = [
        UplinkPort(by_if_index[i].name if i in by_if_index else f"ifIndex {i}", why)
        for i, why in sorted(uplinks.items())
    ]
    return _one_per_mac(locations), left_out


def _one_per_mac(locations: list[HostLocation]) -> list[HostLocation]:
    """Keep one location per MAC: a MAC in several VLANs of one port is still one host."""
    seen: dict[str, HostLocation] = {}
    for location in locations:
        seen.setdefault(location.mac, location)
    return sorted(seen.values(), key=lambda loc: (loc.if_index, loc.mac))
