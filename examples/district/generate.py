"""Write observations.jsonl: what sweeps and agents saw of the example district.

Three sites after the storm: Lincoln Elementary and Roosevelt Middle (both
hit) and the district office with its server room. The sightings hold the
traps that make other CMDBs wrong: a renamed PC, a NIC swap, a docking
station's NIC moving between laptops, cloned VMs sharing a UUID, boards with
"To Be Filled By O.E.M." as their serial, a re-used DHCP address, the same
printer name at two schools and a phone's randomised MAC. Run it to
regenerate the file after changing it: ``python examples/district/generate.py``.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BEFORE = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # the day before the storm
AFTER = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # links back, first sweeps


def sighting(source: str, at: datetime, **fields: Any) -> dict[str, Any]:
    """One Observation; keyword groups go to identifiers, attributes and child lists."""
    record: dict[str, Any] = {
        "schema": "muster.observation/1",
        "source": source,
        "observed_at": at.isoformat().replace("+00:00", "Z"),
        "collector": fields.pop("collector", f"{source}-collector"),
        "identifiers": fields.pop("ids"),
    }
    for key in ("site", "attributes", "evidence", "interfaces", "services", "software", "disks"):
        if key in fields:
            record[key] = fields.pop(key)
    assert not fields, fields
    return record


def lab_pcs(observations: list[dict[str, Any]]) -> None:
    """Lincoln's computer lab: eight HP desktops with agents, seen by ARP too."""
    for n in range(1, 9):
        mac = f"3c:d9:2b:10:00:{n:02x}"
        ip = f"10.10.1.{20 + n}"
        name = f"lab-pc-{n:02d}"
        agent_ids = {
            "serial": f"CZC82{n:05d}",
            "system_uuid": f"6b29fc40-ca47-1067-b31d-00dd0106{n:04x}",
            "macs": [mac],
            "hostname": f"{name}.lincoln.k12",
            "ips": [ip],
        }
        attributes = {
            "kind": "desktop",
            "vendor": "Hewlett-Packard",
            "model": "EliteDesk 800 G4",
            "os_name": "Windows 11 Education",
            "cpu_cores": 6,
            "memory_bytes": (16 if n <= 6 else 4) << 30,
        }
        if n == 7:
            # Re-imaged before the storm under a temporary name, renamed after it.
            observations.append(
                sighting(
                    "agent",
                    BEFORE,
                    ids={**agent_ids, "hostname": "pc-temp-3"},
                    attributes=attributes,
                )
            )
        if n != 8:  # lab-pc-08 was under the collapsed roof: its agent never reported again
            observations.append(
                sighting("agent", AFTER + timedelta(hours=2), ids=agent_ids, attributes=attributes)
            )
        else:
            observations.append(sighting("agent", BEFORE, ids=agent_ids, attributes=attributes))
        if n != 8:
            observations.append(sighting("arp", AFTER, ids={"macs": [mac], "ips": [ip]}))


def lincoln(observations: list[dict[str, Any]]) -> None:
    """Lincoln Elementary: switch, access points, printer, laptops with one dock."""
    switch = {
        "serial": "FOC2148Z0KJ",
        "macs": ["00:1e:bd:4a:21:00"],
        "hostname": "lincoln-sw1",
        "ips": ["10.10.0.2"],
    }
    observations.append(
        sighting(
            "snmp",
            AFTER,
            ids=switch,
            attributes={
                "kind": "switch",
                "vendor": "Cisco",
                "model": "WS-C2960X-48FPD-L",
                "description": "Cisco IOS Software, C2960X Software, Version 15.2(7)E4",
                "location": "Lincoln MDF",
            },
            evidence=[
                {
                    "attribute": "kind",
                    "value": "switch",
                    "reason": "sysObjectID 1.3.6.1.4.1.9.1.1208 is a Catalyst 2960X",
                }
            ],
        )
    )
    for n, mac in enumerate(["24:a4:3c:00:10:01", "24:a4:3c:00:10:02"], start=1):
        observations.append(
            sighting(
                "snmp",
                AFTER,
                ids={"macs": [mac], "hostname": f"lincoln-ap{n}", "ips": [f"10.10.0.{10 + n}"]},
                attributes={"kind": "access_point", "vendor": "Ubiquiti", "model": "UAP-AC-PRO"},
            )
        )
    printer_ids = {
        "serial": "VNB3K12345",
        "macs": ["3c:d9:2b:55:00:01"],
        "hostname": "office-printer",
        "ips": ["10.10.0.50"],
    }
    observations.append(
        sighting(
            "snmp",
            AFTER,
            ids=printer_ids,
            attributes={"kind": "printer", "vendor": "HP", "model": "LaserJet M507"},
            evidence=[
                {
                    "attribute": "kind",
                    "value": "printer",
                    "reason": "Printer-MIB prtGeneralPrinterName answered; port 9100 open",
                }
            ],
        )
    )
    observations.append(
        sighting(
            "nmap",
            AFTER + timedelta(minutes=5),
            ids={"ips": ["10.10.0.50"], "macs": ["3c:d9:2b:55:00:01"]},
            services=[{"port": 9100, "name": "jetdirect"}, {"port": 631, "name": "ipp"}],
        )
    )
    dock = "00:e0:4c:68:07:11"  # one USB-C dock in the staff room, used by two laptops
    for n, serial in enumerate(["5CG1480AAA", "5CG1480BBB"], start=1):
        wifi = f"a4:4c:c8:00:20:{n:02x}"
        observations.append(
            sighting(
                "agent",
                AFTER + timedelta(hours=n),
                ids={
                    "serial": serial,
                    "macs": [wifi, dock],
                    "hostname": f"staff-laptop-{n}",
                    "ips": [f"10.10.2.{40 + n}"],
                },
                attributes={
                    "kind": "notebook",
                    "vendor": "HP",
                    "model": "ProBook 450 G8",
                    "memory_bytes": 8 << 30,
                },
            )
        )
    observations.append(sighting("icmp", AFTER, ids={"ips": ["10.10.0.99"]}))


def roosevelt(observations: list[dict[str, Any]]) -> None:
    """Roosevelt Middle: whitebox PCs, a re-used lease, a printer named like Lincoln's."""
    for n in (1, 2):
        observations.append(
            sighting(
                "agent",
                AFTER + timedelta(hours=1),
                ids={
                    "serial": "To Be Filled By O.E.M.",
                    "macs": [f"70:85:c2:00:30:{n:02x}"],
                    "hostname": f"art-pc-{n}",
                    "ips": [f"10.20.1.{10 + n}"],
                },
                attributes={
                    "kind": "desktop",
                    "vendor": "To Be Filled By O.E.M.",
                    "memory_bytes": 8 << 30,
                },
            )
        )
    # The first phone had 10.20.3.7 before the storm; a laptop got the lease after it.
    observations.append(
        sighting("arp", BEFORE, ids={"macs": ["00:04:f2:aa:00:01"], "ips": ["10.20.3.7"]})
    )
    observations.append(
        sighting(
            "tcp",
            BEFORE + timedelta(minutes=3),
            ids={"ips": ["10.20.3.7"]},
            services=[{"port": 5060, "name": "sip"}],
            attributes={"kind": "phone"},
        )
    )
    observations.append(
        sighting("arp", AFTER, ids={"macs": ["a4:4c:c8:00:31:07"], "ips": ["10.20.3.7"]})
    )
    observations.append(
        sighting(
            "tcp",
            AFTER + timedelta(minutes=3),
            ids={"ips": ["10.20.3.7"]},
            services=[{"port": 3389, "name": "ms-wbt-server"}],
        )
    )
    observations.append(
        sighting(
            "snmp",
            AFTER,
            ids={
                "serial": "VNB3K67890",
                "macs": ["3c:d9:2b:55:00:02"],
                "hostname": "office-printer",
                "ips": ["10.20.0.50"],
            },
            attributes={"kind": "printer", "vendor": "HP", "model": "LaserJet M507"},
        )
    )
    observations.append(
        sighting(
            "snmp",
            AFTER,
            ids={
                "serial": "SG2114P0AB",
                "macs": ["00:1f:28:aa:40:00"],
                "hostname": "roosevelt-sw1",
                "ips": ["10.20.0.2"],
            },
            attributes={
                "kind": "switch",
                "vendor": "Hewlett-Packard",
                "model": "ProCurve J9772A 2530-48G-PoEP",
            },
        )
    )
    # A teacher's phone on the guest Wi-Fi with a private (randomised) MAC.
    observations.append(
        sighting("arp", AFTER, ids={"macs": ["da:a1:19:5e:44:01"], "ips": ["10.20.2.200"]})
    )


def district_office(observations: list[dict[str, Any]]) -> None:
    """The server room: a host that lost a NIC, two cloned VMs, a UPS."""
    host = {
        "serial": "7XK2Q33",
        "system_uuid": "4c4c4544-0058-4b10-8032-b7c04f513333",
        "hostname": "vmhost-1.district.k12",
        "ips": ["10.0.0.10"],
    }
    observations.append(
        sighting(
            "agent",
            BEFORE,
            ids={**host, "macs": ["f8:b1:56:10:00:01"]},
            attributes={
                "kind": "server",
                "vendor": "Dell Inc.",
                "model": "PowerEdge R640",
                "memory_bytes": 256 << 30,
                "cpu_cores": 32,
            },
        )
    )
    # Its onboard NIC died in the storm; a replacement card has another MAC.
    observations.append(
        sighting(
            "agent",
            AFTER + timedelta(hours=3),
            ids={**host, "macs": ["b4:96:91:20:00:01"]},
            attributes={
                "kind": "server",
                "vendor": "Dell Inc.",
                "model": "PowerEdge R640",
                "memory_bytes": 256 << 30,
                "cpu_cores": 32,
            },
        )
    )
    clone_uuid = "420f1b2c-3d4e-5f60-7182-93a4b5c6d7e8"
    for n in (1, 2):
        observations.append(
            sighting(
                "agent",
                AFTER + timedelta(hours=3, minutes=n),
                ids={
                    "system_uuid": clone_uuid,
                    "macs": [f"00:50:56:b0:00:{n:02x}"],
                    "hostname": f"fileserver-{n}.district.k12",
                    "ips": [f"10.0.1.{20 + n}"],
                },
                attributes={
                    "kind": "server",
                    "vendor": "VMware, Inc.",
                    "model": "VMware Virtual Platform",
                    "virtual": True,
                    "memory_bytes": 16 << 30,
                },
            )
        )
    observations.append(
        sighting(
            "snmp",
            AFTER,
            ids={
                "serial": "AS1935123456",
                "macs": ["00:c0:b7:d0:00:01"],
                "hostname": "ups-serverroom",
                "ips": ["10.0.0.5"],
            },
            attributes={
                "kind": "ups",
                "vendor": "American Power Conversion Corp.",
                "model": "Smart-UPS 3000",
            },
        )
    )


def main() -> None:
    """Write the file next to this script."""
    observations: list[dict[str, Any]] = []
    lab_pcs(observations)
    lincoln(observations)
    roosevelt(observations)
    district_office(observations)
    observations.sort(key=lambda o: (o["observed_at"], json.dumps(o, sort_keys=True)))
    path = Path(__file__).with_name("observations.jsonl")
    path.write_text("".join(json.dumps(o, sort_keys=True) + "\n" for o in observations))


if __name__ == "__main__":
    main()
