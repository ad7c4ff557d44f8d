"""What the CMDB makes of SNMP Observations next to other techniques' sightings.

The Observations come from recorded walks; each test runs on SQLite and PostgreSQL.
"""

from datetime import UTC, datetime, timedelta

from muster.cmdb.db import Database
from muster.cmdb.observation import Observation
from muster.collector.snmp.report import (
    ObservationContext,
    device_observation,
    host_observations,
    read_inventory,
)
from muster.collector.snmp.walk import read_snmprec
from tests.cmdb.helpers import add_site, assets, conflicts, run_ingest
from tests.collector.snmp.test_recorded_walks import FIXTURES
from tests.factories import observation

AT = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
SWITCH_ADDRESS = "192.0.2.10"


def sweep(case: str, at: datetime) -> list[Observation]:
    inventory = read_inventory(read_snmprec(FIXTURES / case / "walk.snmprec"), uplink_threshold=12)
    context = ObservationContext(at, site="lincoln-es")
    return [
        device_observation(inventory, SWITCH_ADDRESS, context),
        *host_observations(inventory, SWITCH_ADDRESS, context),
    ]


def test_switch_with_many_interface_macs_is_one_asset_with_its_arp_sighting(
    database: Database,
) -> None:
    add_site(database, "lincoln-es", "192.0.2.0/24")
    # What an ARP sweep sees of the switch: its VLAN interface's MAC at its address.
    arp = observation(
        "arp",
        at=timedelta(minutes=1),
        site="lincoln-es",
        macs=["ac:16:2d:92:7d:21"],
        ips=[SWITCH_ADDRESS],
    )

    run_ingest(database, [*sweep("hpe-procurve-6120xg", AT), arp])

    switches = [a for a in assets(database) if a.kind == "switch"]
    assert [(a.serial, a.hostname, a.model) for a in switches] == [
        ("3C421900TX", "dumsys-64", "516733-B21")
    ]
    assert conflicts(database) == []


def test_located_host_and_its_arp_sighting_are_one_asset_with_its_port(
    database: Database,
) -> None:
    add_site(database, "lincoln-es", "192.0.2.0/24")
    arp = observation(
        "arp",
        at=timedelta(minutes=1),
        site="lincoln-es",
        macs=["10:60:4b:b4:dc:e8"],
        ips=["192.0.2.77"],
    )

    run_ingest(database, [*sweep("hpe-procurve-6120xg", AT), arp])

    [host] = [
        a for a in assets(database) if "10:60:4b:b4:dc:e8" in {i.value for i in a.identifiers}
    ]
    assert (host.switch, host.switch_port) == ("DUMSYS-64", "12")
    assert {i.value for i in host.identifiers} == {"10:60:4b:b4:dc:e8", "192.0.2.77"}


def test_two_sweeps_of_a_router_switch_give_the_same_assets(database: Database) -> None:
    add_site(database, "lincoln-es", "192.0.2.0/24", "10.204.88.0/22")

    run_ingest(database, sweep("cisco-catalyst-3750", AT))
    first = [(a.id, a.kind) for a in assets(database)]
    run_ingest(database, sweep("cisco-catalyst-3750", AT + timedelta(hours=1)))

    assert [(a.id, a.kind) for a in assets(database)] == first
    assert len(first) == 9
    assert conflicts(database) == []
