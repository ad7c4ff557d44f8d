"""Locating host MACs to switch ports: what counts as an uplink, what counts as a host."""

import pytest

from muster.collector.snmp.device import InterfaceRow
from muster.collector.snmp.neighbours import (
    ForwardingEntry,
    LldpNeighbour,
    locate_hosts,
    parse_capabilities,
)


def port(index: int, name: str, mac: str | None = None) -> InterfaceRow:
    return InterfaceRow(index, name, None, None, 6, mac, 1_000_000_000, "up", "up")


PORTS = [port(1, "Gi1/0/1", "00:16:c7:02:6e:01"), port(2, "Gi1/0/2"), port(3, "Gi1/0/3")]
BASE_PORTS = {1: 1, 2: 2, 3: 3}


def fdb(mac: str, bridge_port: int) -> ForwardingEntry:
    return ForwardingEntry(mac, bridge_port, None)


def neighbour(local_port: int, *capabilities: str) -> LldpNeighbour:
    return LldpNeighbour(
        local_port, "00:aa:bb:cc:dd:ee", "Gi0/1", "core-sw", frozenset(capabilities)
    )


@pytest.mark.parametrize(
    ("capabilities", "uplink"),
    [
        (("bridge",), True),
        (("bridge", "router"), True),
        (("router",), True),
        (("bridge", "telephone"), False),
        (("station",), False),
        (("wlan_access_point",), False),
    ],
    ids=["switch", "layer-3-switch", "router", "ip-phone", "station", "access-point"],
)
def test_lldp_neighbour_makes_its_port_an_uplink_only_when_switch_or_router(
    capabilities: tuple[str, ...], uplink: bool
) -> None:
    located, uplinks = locate_hosts(
        [fdb("3c:52:82:1a:2b:3c", 2)],
        BASE_PORTS,
        PORTS,
        [neighbour(2, *capabilities)],
        uplink_threshold=12,
    )

    assert [loc.port for loc in located] == ([] if uplink else ["Gi1/0/2"])
    assert [u.port for u in uplinks] == (["Gi1/0/2"] if uplink else [])


def test_port_with_more_macs_than_the_threshold_is_an_uplink() -> None:
    many = [fdb(f"3c:52:82:00:00:{n:02x}", 3) for n in range(4)]

    located, uplinks = locate_hosts(
        [*many, fdb("3c:52:82:1a:2b:3c", 2)], BASE_PORTS, PORTS, [], uplink_threshold=3
    )

    assert [(loc.mac, loc.port) for loc in located] == [("3c:52:82:1a:2b:3c", "Gi1/0/2")]
    assert [(u.port, u.reason) for u in uplinks] == [("Gi1/0/3", "4 MACs learned, more than 3")]


def test_switch_own_interface_mac_is_not_a_host() -> None:
    located, _ = locate_hosts(
        [fdb("00:16:c7:02:6e:01", 1)], BASE_PORTS, PORTS, [], uplink_threshold=12
    )

    assert located == []


def test_bridge_ports_are_taken_as_if_indexes_when_the_map_is_missing() -> None:
    located, _ = locate_hosts([fdb("3c:52:82:1a:2b:3c", 3)], {}, PORTS, [], uplink_threshold=12)

    assert [(loc.port, loc.if_index) for loc in located] == [("Gi1/0/3", 3)]


def test_mac_learned_in_two_vlans_of_one_port_is_located_once() -> None:
    entries = [
        ForwardingEntry("3c:52:82:1a:2b:3c", 2, 10),
        ForwardingEntry("3c:52:82:1a:2b:3c", 2, 20),
    ]

    located, _ = locate_hosts(entries, BASE_PORTS, PORTS, [], uplink_threshold=12)

    assert [(loc.mac, loc.port, loc.fdb_id) for loc in located] == [
        ("3c:52:82:1a:2b:3c", "Gi1/0/2", 10)
    ]


@pytest.mark.parametrize(
    ("bits", "names"),
    [
        (b"\x20", {"bridge"}),
        (b"\x28", {"bridge", "router"}),
        (b"\x24", {"bridge", "telephone"}),
        (b"\x01", {"station"}),
        (b"", set()),
    ],
    ids=["bridge", "bridge-router", "phone", "station", "empty"],
)
def test_lldp_capability_bits_decode_to_names(bits: bytes, names: set[str]) -> None:
    assert parse_capabilities(bits) == names
