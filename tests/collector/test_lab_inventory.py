"""What the district sweep makes of each device with SNMP: kind, vendor, model, serial, port.

Runs on the CMDB left by the two sweeps of ``test_lab_sweep``; the expected
values are the recorded devices' own (a Catalyst 3750, an HP ProCurve 2810,
an Eaton 93E UPS, a Ubiquiti airMAX access point) and the lab's wiring.
"""

import pytest

from muster.cmdb.views import describe_asset, find_asset
from tests.collector.test_lab_sweep import Swept, swept  # noqa: F401 -- the shared sweeps

EXPECTED = {
    # address: (kind, vendor, model, serial)
    "10.77.1.2": ("switch", "Cisco", "WS-C3750-48PS-S", "CAT0952N20R"),
    "10.77.1.10": ("server", "Dell", None, None),
    "10.77.1.20": ("printer", "HP", None, None),
    "10.77.1.30": ("ups", "Eaton", "EATON 93E 80", None),
    "10.77.2.2": ("switch", "HP", "ProCurve 2810-24G", None),
    "10.77.2.10": ("workstation", "Dell", None, None),
    "10.77.2.20": ("access_point", "Ubiquiti", None, None),
}
PORTS = {
    # host address: (switch, port)
    "10.77.1.10": ("Profiler3750", "Fa3/0/8"),
    "10.77.1.20": ("Profiler3750", "Fa3/0/12"),
    "10.77.1.30": ("Profiler3750", "Fa3/0/13"),
    "10.77.1.40": ("Profiler3750", "Fa3/0/14"),
    "10.77.2.10": ("ProCurve Switch 2810-24G", "ifIndex 3"),
    "10.77.2.20": ("ProCurve Switch 2810-24G", "ifIndex 5"),
    "10.77.2.30": ("ProCurve Switch 2810-24G", "ifIndex 7"),
}


def test_sweep_names_kind_vendor_model_and_serial_of_each_device(swept: Swept) -> None:  # noqa: F811
    with swept.database.session() as session:
        found = {
            ip: (a.kind, a.vendor, a.model, a.serial)
            for ip in EXPECTED
            for a in [describe_asset(session, find_asset(session, ip))]
        }

    assert found == EXPECTED


def test_sweep_locates_each_host_on_its_switch_port(swept: Swept) -> None:  # noqa: F811
    with swept.database.session() as session:
        found = {
            ip: (a.switch, a.switch_port)
            for ip in PORTS
            for a in [describe_asset(session, find_asset(session, ip))]
        }

    assert found == PORTS


@pytest.mark.parametrize(
    ("address", "reason", "source"),
    [
        (
            "10.77.1.20",
            "printer: sysObjectID 1.3.6.1.4.1.11.2.3.9.1 is an HP JetDirect printer",
            "snmp",
        ),
        ("10.77.1.30", "ups: it implements the UPS-MIB", "snmp"),
        (
            "10.77.2.10",
            "workstation: desktop ports (remote desktop, file sharing) open and no server port "
            "(web, mail, DNS, directory, database)",
            "nmap",
        ),
    ],
    ids=["printer", "ups", "workstation"],
)
def test_sweep_keeps_why_a_device_is_of_its_kind(
    swept: Swept,  # noqa: F811
    address: str,
    reason: str,
    source: str,
) -> None:
    with swept.database.session() as session:
        detail = describe_asset(session, find_asset(session, address))

    assert reason in detail.provenance["kind"]["evidence"]
    assert detail.provenance["kind"]["source"] == source
