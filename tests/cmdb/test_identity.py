"""One named case per identity rule and per trap users of other CMDBs run into.

Each test runs on SQLite and on PostgreSQL (the ``database`` fixture).
"""

from datetime import timedelta

import pytest

from muster.cmdb.db import Database
from tests.cmdb.helpers import (
    add_site,
    assets,
    conflicts,
    history,
    identifiers_by_state,
    run_ingest,
    usable_identifiers,
)
from tests.factories import observation

DELL_MAC = "f8:b1:56:10:00:01"  # OUI registered to Dell
HP_MAC = "3c:d9:2b:01:02:03"  # OUI registered to Hewlett Packard
INTEL_MAC_1 = "00:1b:21:00:00:01"
INTEL_MAC_2 = "00:1b:21:00:00:02"
DOCK_MAC = "00:e0:4c:68:00:99"  # Realtek, as in many USB-C docks
UUID_A = "4c4c4544-0042-3510-8052-b4c04f4d4e31"


# -- the rules, strongest first ------------------------------------------------


def test_ingest_matches_serial_with_vendor_across_sources(database: Database) -> None:
    report = run_ingest(
        database,
        [
            observation("agent", serial="5CG1234XYZ", macs=[INTEL_MAC_1],
                        attributes={"vendor": "Hewlett-Packard"}),
            observation("snmp", at=timedelta(minutes=5), serial="5cg1234xyz",
                        attributes={"vendor": "HP"}),
        ],
    )  # fmt: skip

    [asset] = assets(database)
    assert (report.decisions[1].rule, report.decisions[1].matched) == (
        "serial",
        "serial 5CG1234XYZ (HP)",
    )
    assert asset.vendor == "HP"
    assert asset.serial == "5CG1234XYZ"


def test_ingest_keeps_equal_serials_of_two_vendors_apart(database: Database) -> None:
    run_ingest(
        database,
        [
            observation("agent", serial="SN00042", attributes={"vendor": "Dell Inc."}),
            observation("agent", at=timedelta(minutes=1), serial="SN00042",
                        attributes={"vendor": "LENOVO"}),
        ],
    )  # fmt: skip

    assert [(a.vendor, a.serial) for a in assets(database)] == [
        ("Dell", "SN00042"),
        ("Lenovo", "SN00042"),
    ]
    assert conflicts(database) == []


def test_ingest_matches_system_uuid_without_serial(database: Database) -> None:
    report = run_ingest(
        database,
        [
            observation("glpi", system_uuid=UUID_A, hostname="lab-01"),
            observation("agent", at=timedelta(hours=1), system_uuid=UUID_A.upper(),
                        hostname="lab-01"),
        ],
    )  # fmt: skip

    assert len(assets(database)) == 1
    assert report.decisions[1].rule == "system_uuid"


def test_ingest_matches_arp_sighting_to_agent_by_mac(database: Database) -> None:
    report = run_ingest(
        database,
        [
            observation("arp", macs=[DELL_MAC], ips=["10.1.0.20"]),
            observation("agent", at=timedelta(minutes=3), serial="7XK2Q33",
                        macs=[DELL_MAC.upper()], hostname="office-3",
                        attributes={"vendor": "Dell Inc.", "kind": "desktop"}),
        ],
    )  # fmt: skip

    [asset] = assets(database)
    assert (report.decisions[1].rule, report.decisions[1].outcome) == ("mac", "updated")
    assert (asset.kind, asset.vendor, asset.hostname) == ("workstation", "Dell", "office-3")


def test_ingest_matches_host_name_within_site(database: Database) -> None:
    add_site(database, "lincoln", "10.1.0.0/24")
    report = run_ingest(
        database,
        [
            observation("nmap", hostname="library-printer.lincoln.k12", ips=["10.1.0.50"]),
            observation("snmp", at=timedelta(days=3), hostname="LIBRARY-PRINTER",
                        ips=["10.1.0.77"]),
        ],
    )  # fmt: skip

    [asset] = assets(database)
    assert report.decisions[1].rule == "hostname"
    assert (asset.hostname, asset.domain) == ("library-printer", "lincoln.k12")


def test_ingest_matches_address_only_while_lease_is_fresh(database: Database) -> None:
    add_site(database, "lincoln", "10.1.0.0/24")
    report = run_ingest(
        database,
        [
            observation("arp", macs=[DELL_MAC], ips=["10.1.0.20"]),
            observation("icmp", at=timedelta(hours=2), ips=["10.1.0.20"]),
            observation("icmp", at=timedelta(days=9), ips=["10.1.0.20"]),
        ],
    )  # fmt: skip

    first, second = assets(database)
    assert report.decisions[1].rule == "ip"
    assert report.decisions[2].rule == "new"
    assert usable_identifiers(first) == {("mac", DELL_MAC)}
    assert usable_identifiers(second) == {("ip", "10.1.0.20")}


def test_address_does_not_match_a_machine_with_other_nics(database: Database) -> None:
    add_site(database, "office", "10.0.0.0/24")
    report = run_ingest(
        database,
        [
            observation("agent", serial="VMware-42 11", macs=["00:50:56:aa:00:01"],
                        ips=["10.0.0.30"]),
            observation("nmap", at=timedelta(hours=1), macs=["00:50:56:aa:00:01"],
                        ips=["10.0.0.30"]),
            observation("nmap", at=timedelta(hours=2), macs=["00:50:56:aa:00:99"],
                        ips=["10.0.0.30"]),
        ],
    )  # fmt: skip

    assert [(d.rule, d.asset) for d in report.decisions] == [
        ("new", "#1"),
        ("ip", "#1"),
        ("new", "#2"),
    ]
    assert report.decisions[2].notes == [
        "ip 10.0.0.30 moved from #1 (#1 has NIC 00:50:56:aa:00:01, this has 00:50:56:aa:00:99)"
    ]


# -- traps -----------------------------------------------------------------------


def test_rename_keeps_one_asset_and_records_the_old_name(database: Database) -> None:
    run_ingest(
        database,
        [
            observation("agent", serial="CZC0001", hostname="pc-1"),
            observation("agent", at=timedelta(days=1), serial="CZC0001", hostname="pc-2"),
        ],
    )  # fmt: skip

    [asset] = assets(database)
    assert asset.hostname == "pc-2"
    assert ("hostname", "pc-1", "pc-2") in history(database, asset.id)


def test_nic_swap_keeps_one_asset_with_both_macs(database: Database) -> None:
    run_ingest(
        database,
        [
            observation("agent", serial="CZC0002", macs=[INTEL_MAC_1]),
            observation("agent", at=timedelta(days=1), serial="CZC0002", macs=[INTEL_MAC_2]),
        ],
    )  # fmt: skip

    [asset] = assets(database)
    assert usable_identifiers(asset) == {
        ("serial", "CZC0002"),
        ("mac", INTEL_MAC_1),
        ("mac", INTEL_MAC_2),
    }
    assert ("identifier", None, f"mac {INTEL_MAC_2}") in history(database, asset.id)


def test_shared_dock_nic_does_not_glue_laptops_together(database: Database) -> None:
    report = run_ingest(
        database,
        [
            observation("agent", serial="LAPTOP-A", macs=["a4:4c:c8:00:00:0a", DOCK_MAC]),
            observation("agent", at=timedelta(hours=4), serial="LAPTOP-B",
                        macs=["a4:4c:c8:00:00:0b", DOCK_MAC]),
        ],
    )  # fmt: skip

    laptop_a, laptop_b = assets(database)
    assert identifiers_by_state(laptop_a)[("mac", DOCK_MAC)] == "shared"
    assert identifiers_by_state(laptop_b)[("mac", DOCK_MAC)] == "shared"
    assert usable_identifiers(laptop_b) == {("serial", "LAPTOP-B"), ("mac", "a4:4c:c8:00:00:0b")}
    assert conflicts(database) == [("shared_mac", "mac", DOCK_MAC)]
    assert report.decisions[1].outcome == "conflict"


def test_dock_mac_seen_alone_later_does_not_move_to_either_laptop(database: Database) -> None:
    run_ingest(
        database,
        [
            observation("agent", serial="LAPTOP-A", macs=[DOCK_MAC]),
            observation("agent", at=timedelta(hours=1), serial="LAPTOP-B", macs=[DOCK_MAC]),
            observation("arp", at=timedelta(days=2), macs=[DOCK_MAC], ips=["10.9.0.8"]),
        ],
    )  # fmt: skip

    serials = [a.serial for a in assets(database)]
    assert serials == ["LAPTOP-A", "LAPTOP-B", None]


def test_cloned_vms_with_a_copied_serial_stay_two_assets(database: Database) -> None:
    clone_uuid = "564d7a3b-1c2d-3e4f-5a6b-7c8d9e0f1a2b"
    vmware_serial = "VMware-56 4d 7a 3b 1c 2d 3e 4f-5a 6b 7c 8d 9e 0f 1a 2b"
    run_ingest(
        database,
        [
            observation("agent", system_uuid=clone_uuid, hostname="web-1",
                        macs=["00:50:56:aa:00:01"], serial=vmware_serial),
            observation("agent", at=timedelta(hours=1), system_uuid=clone_uuid,
                        hostname="web-2", macs=["00:50:56:aa:00:02"], serial=vmware_serial),
        ],
    )  # fmt: skip

    web1, web2 = assets(database)
    assert (web1.hostname, web2.hostname) == ("web-1", "web-2")
    assert conflicts(database) == [
        ("clone", "serial", vmware_serial.upper()),
        ("clone", "system_uuid", clone_uuid),
    ]


def test_cloned_vms_without_serials_are_detected_as_clones(database: Database) -> None:
    clone_uuid = "564d7a3b-1c2d-3e4f-5a6b-7c8d9e0f1a2b"
    report = run_ingest(
        database,
        [
            observation("agent", system_uuid=clone_uuid, hostname="web-1",
                        macs=["00:50:56:aa:00:01"]),
            observation("agent", at=timedelta(hours=1), system_uuid=clone_uuid,
                        hostname="web-2", macs=["00:50:56:aa:00:02"]),
            observation("agent", at=timedelta(hours=2), system_uuid=clone_uuid,
                        hostname="web-1", macs=["00:50:56:aa:00:01"]),
        ],
    )  # fmt: skip

    web1, web2 = assets(database)
    assert (web1.hostname, web2.hostname) == ("web-1", "web-2")
    assert identifiers_by_state(web1)[("system_uuid", clone_uuid)] == "shared"
    assert identifiers_by_state(web2)[("system_uuid", clone_uuid)] == "shared"
    assert conflicts(database) == [("clone", "system_uuid", clone_uuid)]
    assert report.decisions[2].rule == "hostname"


def test_cloned_vms_with_their_own_serials_stay_two_assets(database: Database) -> None:
    clone_uuid = "564d7a3b-1c2d-3e4f-5a6b-7c8d9e0f1a2b"
    run_ingest(
        database,
        [
            observation("agent", system_uuid=clone_uuid, serial="VM-SERIAL-1"),
            observation("agent", at=timedelta(hours=1), system_uuid=clone_uuid,
                        serial="VM-SERIAL-2"),
        ],
    )  # fmt: skip

    assert [a.serial for a in assets(database)] == ["VM-SERIAL-1", "VM-SERIAL-2"]
    assert conflicts(database) == [("clone", "system_uuid", clone_uuid)]


@pytest.mark.parametrize(
    "serial",
    ["To Be Filled By O.E.M.", "Default string", "0", "000000000", "System Serial Number"],
    ids=["oem", "default-string", "zero", "zeros", "system-serial-number"],
)
def test_placeholder_serial_never_merges_machines(database: Database, serial: str) -> None:
    report = run_ingest(
        database,
        [
            observation("agent", serial=serial, macs=[INTEL_MAC_1], hostname="lab-1"),
            observation("agent", at=timedelta(minutes=1), serial=serial, macs=[INTEL_MAC_2],
                        hostname="lab-2"),
        ],
    )  # fmt: skip

    first, second = assets(database)
    assert (first.serial, second.serial) == (None, None)
    assert usable_identifiers(first) == {("mac", INTEL_MAC_1), ("hostname", "lab-1")}
    assert usable_identifiers(second) == {("mac", INTEL_MAC_2), ("hostname", "lab-2")}
    assert report.decisions[1].ignored == [f"serial {serial.upper()}: placeholder serial"]


def test_reused_dhcp_address_does_not_move_history(database: Database) -> None:
    add_site(database, "lincoln", "10.1.0.0/24")
    run_ingest(
        database,
        [
            observation("arp", macs=[INTEL_MAC_1], ips=["10.1.0.20"]),
            observation("tcp", at=timedelta(minutes=10), ips=["10.1.0.20"],
                        attributes={"kind": "printer"}),
            observation("arp", at=timedelta(days=2), macs=[INTEL_MAC_2], ips=["10.1.0.20"]),
            observation("tcp", at=timedelta(days=2, minutes=10), ips=["10.1.0.20"],
                        attributes={"kind": "workstation"}),
        ],
    )  # fmt: skip

    old, new = assets(database)
    assert (old.kind, usable_identifiers(old)) == ("printer", {("mac", INTEL_MAC_1)})
    assert (new.kind, usable_identifiers(new)) == (
        "workstation",
        {("mac", INTEL_MAC_2), ("ip", "10.1.0.20")},
    )


def test_one_host_name_in_two_sites_is_two_assets(database: Database) -> None:
    add_site(database, "lincoln", "10.1.0.0/24")
    add_site(database, "roosevelt", "10.2.0.0/24")
    run_ingest(
        database,
        [
            observation("nmap", hostname="office-printer", ips=["10.1.0.9"]),
            observation("nmap", at=timedelta(minutes=1), hostname="office-printer",
                        ips=["10.2.0.9"]),
        ],
    )  # fmt: skip

    with database.session() as session:
        from muster.cmdb.views import list_assets

        rows = list_assets(session)
    assert [(r.site, r.hostname, r.ips) for r in rows] == [
        ("lincoln", "office-printer", ["10.1.0.9"]),
        ("roosevelt", "office-printer", ["10.2.0.9"]),
    ]


def test_randomised_mac_never_identifies(database: Database) -> None:
    random_mac = "da:a1:19:5e:00:01"  # locally administered: a phone's private address
    run_ingest(
        database,
        [
            observation("agent", serial="PHONE-1", macs=[random_mac]),
            observation("agent", at=timedelta(hours=1), serial="PHONE-2", macs=[random_mac]),
        ],
    )  # fmt: skip

    first, second = assets(database)
    assert identifiers_by_state(first)[("mac", random_mac)] == (
        "locally administered (randomised or set by software)"
    )
    assert usable_identifiers(second) == {("serial", "PHONE-2")}
    assert conflicts(database) == []


def test_two_live_machines_with_one_name_are_a_conflict(database: Database) -> None:
    add_site(database, "lincoln", "10.1.0.0/24")
    report = run_ingest(
        database,
        [
            observation("agent", serial="CZC0010", hostname="teacher-pc", ips=["10.1.0.31"]),
            observation("agent", at=timedelta(hours=1), serial="CZC0011",
                        hostname="teacher-pc", ips=["10.1.0.32"]),
        ],
    )  # fmt: skip

    first, second = assets(database)
    assert (first.serial, second.serial) == ("CZC0010", "CZC0011")
    assert conflicts(database) == [("duplicate_hostname", "hostname", "teacher-pc")]
    assert report.decisions[1].conflicts == [
        "duplicate_hostname: hostname teacher-pc is on #1 and #2: "
        "#1 has serial CZC0010, this has CZC0011"
    ]


def test_agent_report_merges_two_partial_sightings(database: Database) -> None:
    report = run_ingest(
        database,
        [
            observation("arp", macs=[INTEL_MAC_1], ips=["10.7.0.5"]),
            observation("arp", at=timedelta(minutes=1), macs=[INTEL_MAC_2], ips=["10.7.0.6"]),
            observation("agent", at=timedelta(minutes=5), serial="SRV-0001",
                        macs=[INTEL_MAC_1, INTEL_MAC_2], attributes={"kind": "server"}),
        ],
    )  # fmt: skip

    [server] = assets(database)
    assert server.id == 1
    assert report.decisions[2].merged == ["#2"]
    assert usable_identifiers(server) >= {("mac", INTEL_MAC_1), ("mac", INTEL_MAC_2)}
    assert ("merged", "#2", "#1") in history(database, 1)


# -- attributes, status, idempotence ------------------------------------------------


def test_attributes_merge_by_trust_then_freshness(database: Database) -> None:
    run_ingest(
        database,
        [
            observation("agent", serial="SRV-7", attributes={"model": "PowerEdge R640"}),
            observation("snmp", at=timedelta(days=1), serial="SRV-7",
                        attributes={"model": "R640"}),
            observation("agent", at=timedelta(days=2), serial="SRV-7",
                        attributes={"model": "PowerEdge R650"}),
        ],
    )  # fmt: skip

    [server] = assets(database)
    assert server.model == "PowerEdge R650"
    assert server.provenance["model"]["source"] == "agent"
    assert history(database, server.id) == [("model", "PowerEdge R640", "PowerEdge R650")]


def test_site_follows_the_freshest_sighting(database: Database) -> None:
    add_site(database, "lincoln", "10.1.0.0/24")
    add_site(database, "roosevelt", "10.2.0.0/24")
    run_ingest(
        database,
        [
            observation("agent", serial="LT-1", macs=[INTEL_MAC_1], ips=["10.1.0.40"]),
            observation("arp", at=timedelta(days=1), macs=[INTEL_MAC_1], ips=["10.2.0.40"]),
        ],
    )  # fmt: skip

    with database.session() as session:
        from muster.cmdb.views import list_assets

        [row] = list_assets(session)
    assert row.site == "roosevelt"


def test_missing_asset_seen_again_comes_back_with_history(database: Database) -> None:
    from muster.cmdb.status import mark_missing
    from tests.factories import T0

    run_ingest(database, [observation("agent", serial="CZC0099")])
    with database.session(writer=True) as session:
        assert mark_missing(session, now=T0 + timedelta(days=10)) == [1]
    report = run_ingest(database, [observation("arp", at=timedelta(days=11), serial="CZC0099")])

    [asset] = assets(database)
    assert asset.status == "active"
    assert history(database, 1) == [
        ("status", "active", "missing"),
        ("status", "missing", "active"),
    ]
    assert report.decisions[0].changes[0].model_dump() == {
        "field": "status",
        "old": "missing",
        "new": "active",
    }


def test_same_observation_twice_changes_nothing(database: Database) -> None:
    batch = [
        observation("agent", serial="CZC0100", macs=[INTEL_MAC_1], hostname="lab-9"),
        observation("arp", at=timedelta(minutes=1), macs=[INTEL_MAC_1], ips=["10.3.0.9"]),
    ]
    run_ingest(database, batch)
    before = [(a.id, a.last_seen, identifiers_by_state(a)) for a in assets(database)]

    report = run_ingest(database, batch)

    assert [(d.outcome, d.rule, d.asset_id) for d in report.decisions] == [
        ("unchanged", "duplicate", 1),
        ("unchanged", "duplicate", 1),
    ]
    assert [(a.id, a.last_seen, identifiers_by_state(a)) for a in assets(database)] == before


def test_dry_run_explains_and_writes_nothing(database: Database) -> None:
    report = run_ingest(
        database,
        [
            observation("arp", macs=[INTEL_MAC_1], ips=["10.3.0.9"]),
            observation("agent", at=timedelta(minutes=1), serial="CZC0200", macs=[INTEL_MAC_1]),
        ],
        dry_run=True,
    )

    assert [d.explanation for d in report.decisions] == [
        "created #1: no usable identifier matched a known asset",
        "updated: matched #1 by mac 00:1b:21:00:00:01; serial: None -> 'CZC0200'; "
        "identifier added: serial CZC0200",
    ]
    assert assets(database) == []


def test_unknown_site_refuses_the_whole_batch(database: Database) -> None:
    from muster.cmdb.errors import ObservationError

    with pytest.raises(ObservationError) as caught:
        run_ingest(
            database,
            [observation("arp", macs=[INTEL_MAC_1]), observation("arp", site="nowhere")],
        )

    assert str(caught.value) == (
        "observation 1: site 'nowhere' does not exist: add it with "
        "`muster site add nowhere --name NAME --subnet CIDR`, or leave `site` out to place "
        "the device by its address"
    )
    assert assets(database) == []


def test_unknown_sweep_refuses_the_whole_batch(database: Database) -> None:
    from muster.cmdb.errors import ObservationError
    from muster.cmdb.observation import parse_observation

    tagged = observation("arp", macs=[INTEL_MAC_1]).to_json_dict() | {"sweep_id": 41}

    with pytest.raises(ObservationError) as caught:
        run_ingest(database, [observation("arp", macs=[INTEL_MAC_2]), parse_observation(tagged)])

    assert str(caught.value) == (
        "observation 1: sweep 41 does not exist: leave `sweep_id` out, or give the id of a "
        "sweep `muster sweep` started"
    )
    assert assets(database) == []
