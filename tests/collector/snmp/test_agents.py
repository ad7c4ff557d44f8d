"""The SNMP inventory against real agents on loopback addresses: snmpsim replaying
recorded walks (v2c) and net-snmp's snmpd describing this machine (v3 authPriv)."""

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from muster.cmdb.db import Database
from muster.cmdb.errors import ConfigurationError
from muster.cmdb.ingest import ingest
from muster.cmdb.views import describe_asset, find_asset, list_assets
from muster.collector.snmp import (
    AuthProtocol,
    CommunityV2c,
    CredentialMemory,
    PrivProtocol,
    SnmpDeviceResult,
    SnmpSettings,
    UsmUser,
    snmp_inventory,
)
from tests.collector.snmp.agents import (
    Agent,
    free_udp_port,
    start_snmpd,
    start_snmpsim,
    wait_until_answering,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "snmp"
SWITCH, PRINTER, HOST, SILENT = "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.9"
WRONG = CommunityV2c(name="old-ro", community=SecretStr("private"))
SCHOOL = CommunityV2c(name="school-ro", community=SecretStr("school-ro"))
SPARE = CommunityV2c(name="spare-ro", community=SecretStr("spare-ro"))
CISCO = CommunityV2c(name="core-ro", community=SecretStr("core-ro"))
V3_USER = UsmUser(
    name="inventory-v3",
    user="inventory",
    auth_protocol=AuthProtocol.SHA,
    auth_key=SecretStr("authpass-123"),
    priv_protocol=PrivProtocol.AES128,
    priv_key=SecretStr("privpass-123"),
)


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Agent]]:
    """A switch and a printer (snmpsim) and this machine (snmpd), on one port of three addresses.

    The switch replays the ProCurve 6120XG walk to two communities and the
    Catalyst 3750 walk to a third; snmpd has an SNMPv3 authPriv user and a
    community.
    """
    port = free_udp_port(SWITCH, PRINTER, HOST)
    switch_walk = FIXTURES / "hpe-procurve-6120xg" / "walk.snmprec"
    printer_walk = FIXTURES / "hp-laserjet-printer" / "walk.snmprec"
    config = (
        "rocommunity campus-ro 127.0.0.0/8\n"
        'createUser inventory SHA "authpass-123" AES "privpass-123"\n'
        "rouser inventory priv\n"
        "sysName muster-test-host\n"
        "sysLocation test rack 4\n"
    )
    started = {
        SWITCH: start_snmpsim(
            SWITCH,
            port,
            {
                "school-ro": switch_walk,
                "spare-ro": switch_walk,
                "core-ro": FIXTURES / "cisco-catalyst-3750" / "walk.snmprec",
                **{
                    f"core-ro@{vlan}": FIXTURES / "cisco-catalyst-3750" / f"vlan-{vlan}.snmprec"
                    for vlan in (4, 60, 63, 65, 80)
                },
            },
            tmp_path_factory.mktemp("switch"),
        ),
        PRINTER: start_snmpsim(
            PRINTER, port, {"school-ro": printer_walk}, tmp_path_factory.mktemp("printer")
        ),
        HOST: start_snmpd(HOST, port, tmp_path_factory.mktemp("host"), config),
    }
    try:
        for address, agent in started.items():
            wait_until_answering(agent, "campus-ro" if address == HOST else "school-ro")
        yield started
    finally:
        for agent in started.values():
            agent.stop()


@pytest.fixture(scope="module")
def switch(agents: dict[str, Agent]) -> Agent:
    """The switch agent."""
    return agents[SWITCH]


@pytest.fixture(scope="module")
def printer(agents: dict[str, Agent]) -> Agent:
    """The printer agent."""
    return agents[PRINTER]


@pytest.fixture(scope="module")
def host(agents: dict[str, Agent]) -> Agent:
    """This machine's snmpd."""
    return agents[HOST]


@pytest.fixture(scope="module")
def two_sweeps(agents: dict[str, Agent]) -> list[list[SnmpDeviceResult]]:
    """Two sweeps of the three devices, each in one inventory run."""
    port = agents[SWITCH].port
    return [run([SWITCH, PRINTER, HOST], [SCHOOL, V3_USER], port) for _sweep in range(2)]


def run(
    targets: list[str],
    credentials: list[CommunityV2c | UsmUser],
    agent_port: int,
    memory: CredentialMemory | None = None,
    **settings: float,
) -> list[SnmpDeviceResult]:
    async def collect() -> list[SnmpDeviceResult]:
        options = SnmpSettings(port=agent_port, **settings)
        results = snmp_inventory(
            targets, credentials, settings=options, memory=memory, site="lincoln-es"
        )
        return [result async for result in results]

    return asyncio.run(collect())


def test_v2c_wrong_then_right_community_inventories_switch_without_waiting_out_the_wrong(
    switch: Agent,
) -> None:
    memory = CredentialMemory()

    # A long probe timeout, so that a loaded machine cannot blur the difference:
    # probing one after the other would wait all of it for the wrong community.
    [result] = run([SWITCH], [WRONG, SCHOOL], switch.port, memory, probe_timeout=20.0)

    assert result.error is None
    assert result.credential == "school-ro"
    assert memory.get(SWITCH) == "school-ro"
    assert result.seconds < 20.0
    device = result.observations[0]
    assert device.identifiers.serial == "3C421900TX"
    assert (device.attributes.kind, device.attributes.vendor) == ("switch", "HP")
    assert result.tables == [
        "IF-MIB",
        "ENTITY-MIB",
        "Q-BRIDGE-MIB forwarding",
        "LLDP-MIB neighbours",
    ]


def test_switch_forwarding_table_locates_each_host_mac_to_its_port(switch: Agent) -> None:
    [result] = run([SWITCH], [SCHOOL], switch.port)

    located = [
        (o.identifiers.macs, o.attributes.switch, o.attributes.switch_port, o.site)
        for o in result.observations[1:]
    ]
    assert located == [
        (["10:60:4b:b4:5f:48"], "DUMSYS-64", "4", "lincoln-es"),
        (["10:60:4b:b4:dc:e8"], "DUMSYS-64", "12", "lincoln-es"),
        (["10:60:4b:b4:ff:48"], "DUMSYS-64", "13", "lincoln-es"),
        (["10:60:4b:b4:ff:60"], "DUMSYS-64", "5", "lincoln-es"),
    ]
    assert result.uplinks == [
        "1: 22 MACs learned, more than 12",
        "17: LLDP neighbour NWPU-CA-5548-01(SSI183706KP) is a switch or router",
    ]


def test_cisco_switch_is_located_vlan_by_vlan_and_its_arp_cache_read(switch: Agent) -> None:
    [result] = run([SWITCH], [CISCO], switch.port)

    assert result.tables == [
        "IF-MIB",
        "ENTITY-MIB",
        "Q-BRIDGE-MIB forwarding",
        "IP-MIB ipNetToMedia",
        "BRIDGE-MIB forwarding",
        "CISCO-VTP-MIB VLANs",
        "BRIDGE-MIB forwarding per VLAN",
    ]
    device, *hosts = result.observations
    assert device.identifiers.serial == "CAT0952N20R"
    located = [
        (o.identifiers.macs, o.attributes.switch_port) for o in hosts if o.attributes.switch
    ]
    assert located == [
        (["00:1b:21:3a:4b:01"], "Fa3/0/2"),
        (["00:1b:21:3a:4b:02"], "Fa3/0/3"),
        (["3c:52:82:1a:2b:3c"], "Fa3/0/44"),
        (["68:99:cd:a5:9f:88"], "Fa3/0/48"),
    ]
    assert len([o for o in hosts if o.identifiers.ips]) == 7


def test_remembered_community_is_used_first(switch: Agent) -> None:
    memory = CredentialMemory(entries={SWITCH: "spare-ro"})

    [result] = run([SWITCH], [SCHOOL, SPARE], switch.port, memory)

    assert result.credential == "spare-ro"


def test_printer_is_named_printer_with_serial_and_evidence(printer: Agent) -> None:
    [result] = run([PRINTER], [SCHOOL], printer.port)

    device = result.observations[0]
    assert device.identifiers.serial == "PHBLK12345"
    assert device.attributes.kind == "printer"
    assert device.attributes.model == "HP LaserJet Enterprise M507"
    assert [e.reason for e in device.evidence if e.attribute == "kind"] == [
        "sysObjectID 1.3.6.1.4.1.11.2.3.9.1 is an HP JetDirect printer",
        "it implements the Printer-MIB",
        "sysDescr says 'JETDIRECT': an HP printer",
    ]


def test_v3_authpriv_reads_host_resources_of_this_machine(host: Agent) -> None:
    [result] = run([HOST], [V3_USER], host.port)

    assert result.error is None
    assert result.credential == "inventory-v3"
    device = result.observations[0]
    assert device.identifiers.hostname == "muster-test-host"
    assert device.attributes.location == "test rack 4"
    assert device.attributes.kind == "server"
    assert device.attributes.os_name == "Linux"
    assert device.attributes.memory_bytes == _memory_total_bytes()
    assert device.attributes.cpu_threads == os.cpu_count()
    names = {package.name for package in device.software or []}
    assert "snmpd" in names
    assert "/" in {fs.mountpoint for fs in device.filesystems or []}
    assert device.identifiers.snmp_engine_id is not None
    assert device.identifiers.snmp_engine_id.startswith("80001f8880")


def test_v3_wrong_key_is_reported_as_refused(host: Agent) -> None:
    wrong = V3_USER.model_copy(update={"auth_key": SecretStr("not-the-key")})

    [result] = run([HOST], [wrong], host.port)

    assert result.observations == []
    assert result.credential is None
    assert result.error is not None
    assert result.error.startswith(f"{HOST}: credential 'inventory-v3' refused:")


def test_silent_address_reports_no_answer_to_any_credential() -> None:
    [result] = run([SILENT], [WRONG, SCHOOL], 16161, probe_timeout=0.3, probe_retries=0)

    assert result.observations == []
    assert result.error == (
        f"{SILENT}: no SNMP answer to any of 2 credential(s): the device is down, does not "
        "run SNMP, filters the collector, or none of the credentials is right"
    )


def test_target_that_is_not_an_address_is_refused_before_sending() -> None:
    with pytest.raises(ConfigurationError) as caught:
        run(["printer.lincoln.example"], [SCHOOL], 161)

    assert str(caught.value) == (
        "SNMP target 'printer.lincoln.example' is not an IP address: the sweep passes "
        "addresses checked against the site's scope, never names"
    )


def test_two_sweeps_of_switch_printer_and_host_give_one_asset_per_device(
    database: Database, two_sweeps: list[list[SnmpDeviceResult]]
) -> None:
    for results in two_sweeps:
        assert sorted((r.address, r.credential, r.error) for r in results) == [
            (SWITCH, "school-ro", None),
            (PRINTER, "school-ro", None),
            (HOST, "inventory-v3", None),
        ]
        observations = [o for result in results for o in result.observations]
        with database.session(writer=True) as session:
            _ensure_site(session)
            ingest(session, observations)

    with database.session() as session:
        assets = list_assets(session)
        kinds = sorted(a.kind for a in assets)
        detail = describe_asset(session, find_asset(session, "PHBLK12345"))
        located = describe_asset(session, find_asset(session, "10:60:4b:b4:dc:e8"))
    assert kinds == ["printer", "server", "switch", "unknown", "unknown", "unknown", "unknown"]
    assert detail.provenance["kind"]["evidence"][0] == (
        "printer: sysObjectID 1.3.6.1.4.1.11.2.3.9.1 is an HP JetDirect printer"
    )
    assert (located.switch, located.switch_port) == ("DUMSYS-64", "12")


def _ensure_site(session: object) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from muster.cmdb.models import Site

    assert isinstance(session, Session)
    if session.scalar(select(Site).where(Site.code == "lincoln-es")) is None:
        session.add(Site(code="lincoln-es", name="Lincoln Elementary"))
        session.flush()


def _memory_total_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal in /proc/meminfo")
