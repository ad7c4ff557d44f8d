"""Parsers against recorded device walks: each case's Observations, and the facts users rely on."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from muster.cmdb.errors import ConfigurationError
from muster.collector.snmp.report import (
    DeviceInventory,
    ObservationContext,
    device_observation,
    host_observations,
    read_inventory,
)
from muster.collector.snmp.walk import parse_snmprec, read_snmprec

FIXTURES = Path(__file__).parents[2] / "fixtures" / "snmp"
CASES = sorted(path.name for path in FIXTURES.iterdir() if (path / "walk.snmprec").exists())
ADDRESS = "192.0.2.10"
CONTEXT = ObservationContext(datetime(2026, 11, 2, 8, 0, tzinfo=UTC), site="lincoln-es")


def inventory_of(case: str) -> DeviceInventory:
    return read_inventory(read_snmprec(FIXTURES / case / "walk.snmprec"), uplink_threshold=12)


def observations_of(case: str) -> list[dict[str, Any]]:
    inventory = inventory_of(case)
    found = [
        device_observation(inventory, ADDRESS, CONTEXT),
        *host_observations(inventory, ADDRESS, CONTEXT),
    ]
    return [observation.to_json_dict() for observation in found]


def evidence(observation: dict[str, Any], attribute: str) -> list[str]:
    return [e["reason"] for e in observation["evidence"] if e["attribute"] == attribute]


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_recorded_walk_gives_expected_observations(case: str) -> None:
    expected = json.loads((FIXTURES / case / "expected.json").read_text())

    inventory = inventory_of(case)

    assert observations_of(case) == expected["observations"]
    assert [f"{u.port}: {u.reason}" for u in inventory.uplinks] == expected["uplinks"]


def test_cisco_3750_walk_gives_chassis_serial_model_and_kind() -> None:
    device = observations_of("cisco-catalyst-3750")[0]

    assert device["identifiers"]["serial"] == "CAT0952N20R"
    assert device["identifiers"]["hostname"] == "Profiler3750"
    assert device["attributes"]["kind"] == "switch"
    assert device["attributes"]["vendor"] == "Cisco"
    assert device["attributes"]["model"] == "WS-C3750-48PS-S"
    assert evidence(device, "kind")[0] == (
        "sysObjectID 1.3.6.1.4.1.9.1.516 is a Cisco Catalyst 3750 switch"
    )
    assert len(device["interfaces"]) == 59


def test_cisco_3750_forwarding_table_locates_host_to_its_port() -> None:
    located = [
        o for o in observations_of("cisco-catalyst-3750")[1:] if "switch" in o["attributes"]
    ]

    assert located == [
        {
            "schema": "muster.observation/1",
            "source": "snmp",
            "observed_at": "2026-11-02T08:00:00Z",
            "site": "lincoln-es",
            "identifiers": {"macs": ["68:99:cd:a5:9f:88"], "ips": []},
            "attributes": {"switch": "Profiler3750", "switch_port": "Fa3/0/48"},
            "evidence": [],
        }
    ]


def test_cisco_3750_arp_cache_gives_hosts_placed_by_address() -> None:
    from_arp = [o for o in observations_of("cisco-catalyst-3750")[1:] if o["identifiers"]["ips"]]

    assert [(o["identifiers"]["macs"][0], o["identifiers"]["ips"]) for o in from_arp] == [
        ("00:18:7d:18:a2:a9", ["10.204.88.120"]),
        ("00:1f:12:30:47:00", ["10.204.88.1"]),
        ("00:50:56:a4:0e:a2", ["10.204.88.61"]),
        ("00:50:56:bf:6e:15", ["10.204.88.105"]),
        ("58:49:3b:9e:8d:10", ["10.204.88.118"]),
        ("58:49:3b:a0:40:10", ["10.204.88.117"]),
        ("68:99:cd:a5:9f:c1", ["10.204.88.10"]),
    ]
    assert all("site" not in o for o in from_arp)


def test_procurve_locates_hosts_and_leaves_out_uplinks_and_virtual_macs() -> None:
    inventory = inventory_of("hpe-procurve-6120xg")

    hosts = host_observations(inventory, ADDRESS, CONTEXT)

    assert [
        (o.identifiers.macs[0], o.attributes.switch, o.attributes.switch_port) for o in hosts
    ] == [
        ("10:60:4b:b4:5f:48", "DUMSYS-64", "4"),
        ("10:60:4b:b4:dc:e8", "DUMSYS-64", "12"),
        ("10:60:4b:b4:ff:48", "DUMSYS-64", "13"),
        ("10:60:4b:b4:ff:60", "DUMSYS-64", "5"),
    ]
    assert [(u.port, u.reason) for u in inventory.uplinks] == [
        ("1", "22 MACs learned, more than 12"),
        ("17", "LLDP neighbour NWPU-CA-5548-01(SSI183706KP) is a switch or router"),
    ]


def test_printer_walk_gives_printer_serial_model_and_why() -> None:
    device = observations_of("hp-laserjet-printer")[0]

    assert device["identifiers"]["serial"] == "PHBLK12345"
    assert device["attributes"]["kind"] == "printer"
    assert device["attributes"]["model"] == "HP LaserJet Enterprise M507"
    assert evidence(device, "kind") == [
        "sysObjectID 1.3.6.1.4.1.11.2.3.9.1 is an HP JetDirect printer",
        "it implements the Printer-MIB",
        "sysDescr says 'JETDIRECT': an HP printer",
    ]


def test_windows_walk_gives_drives_software_and_memory() -> None:
    device = observations_of("windows-xp")[0]

    assert device["attributes"]["kind"] == "workstation"
    assert device["attributes"]["os_name"] == "Windows"
    assert device["attributes"]["memory_bytes"] == 1038925824
    assert [f["mountpoint"] for f in device["filesystems"]] == ["C:\\", "Z:\\"]
    assert len(device["software"]) == 12
    assert device["identifiers"]["ips"] == ["192.0.2.10", "192.168.1.9"]


def test_ups_walk_gives_ups_model_from_ups_mib() -> None:
    device = observations_of("eaton-ups")[0]

    assert (device["attributes"]["kind"], device["attributes"]["model"]) == ("ups", "EATON 93E 80")
    assert evidence(device, "model") == ["UPS-MIB upsIdentModel"]


def test_snmprec_with_a_broken_line_is_refused_with_its_line_number() -> None:
    lines = ["1.3.6.1.2.1.1.5.0|4|core-sw1", "1.3.6.1.2.1.1.7.0|2"]

    with pytest.raises(ConfigurationError) as caught:
        list(parse_snmprec(lines, name="bad.snmprec"))

    assert str(caught.value) == (
        "bad.snmprec: line 2: expected OID|TAG|VALUE, got '1.3.6.1.2.1.1.7.0|2'"
    )


def test_snmprec_with_an_unknown_tag_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        list(parse_snmprec(["1.3.6.1.2.1.1.5.0|99|x"], name="bad.snmprec"))

    assert str(caught.value) == "bad.snmprec: line 1: unknown snmprec type tag 99"
