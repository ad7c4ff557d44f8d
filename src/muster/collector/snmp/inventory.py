"""Running an SNMP inventory: find the credential each device answers to, walk
only the tables it has, and hand back Observations device by device.

Credentials: the one remembered for a device is tried first, alone; then
all the others at once, each with the short probe timeout, and the first
to answer wins. A device that answers to none costs one probe timeout per
round, not one full timeout per credential.
"""

import asyncio
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from muster.cmdb.errors import ConfigurationError
from muster.cmdb.observation import Observation
from muster.collector.snmp import mibs
from muster.collector.snmp.credentials import CommunityV2c, SnmpSettings, UsmUser
from muster.collector.snmp.errors import (
    SnmpAuthError,
    SnmpError,
    SnmpResponseError,
    SnmpTimeoutError,
)
from muster.collector.snmp.memory import CredentialMemory
from muster.collector.snmp.neighbours import as_vlan_rows, cisco_vlans
from muster.collector.snmp.report import (
    ObservationContext,
    device_observation,
    host_observations,
    read_inventory,
)
from muster.collector.snmp.transport import SnmpClient, SnmpSession
from muster.collector.snmp.walk import Oid, Value, Walk

logger = logging.getLogger(__name__)


class SnmpDeviceResult(BaseModel):
    """What the inventory of one target gave: its Observations, or why there are none."""

    model_config = ConfigDict(frozen=True)

    address: str
    credential: str | None = Field(None, description="Name of the credential that worked.")
    observations: list[Observation] = Field(
        default_factory=list, description="The device first, then the hosts it located."
    )
    tables: list[str] = Field(default_factory=list, description="MIB tables walked.")
    uplinks: list[str] = Field(
        default_factory=list, description="Switch ports not used to locate hosts, and why."
    )
    error: str | None = None
    seconds: float = 0.0


def tables_to_walk(probe: Walk, settings: SnmpSettings) -> list[mibs.Table]:
    """Choose the tables worth walking from what the probe GET found."""
    tables = [mibs.INTERFACES, mibs.ENTITIES]
    if mibs.HR_MEMORY_SIZE in probe or mibs.HR_SYSTEM_UPTIME in probe:
        tables += [mibs.HOST_RESOURCES, mibs.PRINTER]
        if settings.software:
            tables.append(mibs.SOFTWARE)
    if mibs.DOT1D_BASE_NUM_PORTS in probe:
        tables.append(mibs.FORWARDING)
    if mibs.LLDP_LOC_CHASSIS_ID in probe or mibs.LLDP_LOC_SYS_CAP_ENABLED in probe:
        tables.append(mibs.LLDP)
    if probe.integer(mibs.IP_FORWARDING) == 1:
        tables.append(mibs.ARP_CACHE)
    return tables


async def snmp_inventory(
    targets: Iterable[str],
    credentials: Sequence[CommunityV2c | UsmUser],
    *,
    settings: SnmpSettings | None = None,
    memory: CredentialMemory | None = None,
    site: str | None = None,
    sweep_id: int | None = None,
    collector: str | None = None,
) -> AsyncIterator[SnmpDeviceResult]:
    """Inventory each target over SNMP, yielding one result per target as it completes."""
    settings = settings or SnmpSettings()
    addresses = _addresses(targets)
    if not credentials:
        raise ConfigurationError(
            "no SNMP credentials given: add a community (--snmp-community) or an SNMPv3 "
            "user to the site"
        )
    names = [c.name for c in credentials]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"SNMP credential names must differ, got {names!r}")
    memory = memory if memory is not None else CredentialMemory()
    client = SnmpClient(settings)
    pending = iter(addresses)
    results: asyncio.Queue[SnmpDeviceResult] = asyncio.Queue()

    async def worker() -> None:
        for address in pending:
            result = await _inventory_device(
                client, address, credentials, memory, (site, sweep_id, collector)
            )
            await results.put(result)

    workers = [
        asyncio.create_task(worker()) for _ in range(min(settings.concurrency, len(addresses)))
    ]
    try:
        for _ in addresses:
            yield await results.get()
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        client.close()


def _addresses(targets: Iterable[str]) -> list[str]:
    addresses = []
    for target in targets:
        try:
            address = ipaddress.ip_address(str(target).strip())
        except ValueError as exc:
            raise ConfigurationError(
                f"SNMP target {target!r} is not an IP address: the sweep passes addresses "
                "checked against the site's scope, never names"
            ) from exc
        if address.version != 4:
            raise ConfigurationError(f"SNMP target {target!r}: only IPv4 is supported")
        addresses.append(str(address))
    return list(dict.fromkeys(addresses))


async def _inventory_device(
    client: SnmpClient,
    address: str,
    credentials: Sequence[CommunityV2c | UsmUser],
    memory: CredentialMemory,
    context: tuple[str | None, int | None, str | None],
) -> SnmpDeviceResult:
    settings = client.settings
    started = time.monotonic()
    credential: str | None = None
    tables: list[str] = []
    try:
        async with asyncio.timeout(settings.device_timeout):
            session, probe = await find_credential(
                client, address, credentials, memory.get(address)
            )
            credential = session.credential.name
            memory.remember(address, credential)
            walk = await walk_tables(client, session, probe, tables)
        inventory = read_inventory(walk, uplink_threshold=settings.uplink_threshold)
        made = ObservationContext(datetime.now(UTC), *context)
        observations = [
            device_observation(inventory, address, made),
            *host_observations(inventory, address, made),
        ]
    except SnmpError as exc:
        return _failed(address, credential, tables, str(exc), started)
    except TimeoutError:
        why = f"{address}: inventory took longer than {settings.device_timeout:g} s; stopped"
        return _failed(address, credential, tables, why, started)
    except Exception as exc:  # a parser bug must cost one device, not the whole sweep
        logger.exception("%s: SNMP inventory failed", address)
        return _failed(address, credential, tables, f"{address}: internal error: {exc!r}", started)
    seconds = time.monotonic() - started
    logger.info(
        "%s: %d observations with %s in %.2f s", address, len(observations), credential, seconds
    )
    return SnmpDeviceResult(
        address=address,
        credential=credential,
        observations=observations,
        tables=tables,
        uplinks=[f"{u.port}: {u.reason}" for u in inventory.uplinks],
        seconds=round(seconds, 3),
    )


async def walk_tables(
    client: SnmpClient, session: SnmpSession, probe: Walk, tables: list[str]
) -> Walk:
    """Walk the tables the probe says the device has, naming each in ``tables`` as it goes."""
    chosen = tables_to_walk(probe, client.settings)
    # One table after the other: an agent answers one request at a time, and a
    # switch's CPU is not the collector's to flood.
    walk = probe
    for table in chosen:
        tables.append(table.name)
        walk = walk.merged(await session.walk(table.columns))
    if mibs.FORWARDING in chosen and not walk.has_subtree(mibs.DOT1Q_TP_FDB_PORT):
        tables.append(mibs.BRIDGE_FORWARDING.name)
        walk = walk.merged(await session.walk(mibs.BRIDGE_FORWARDING.columns))
        if (probe.object_id(mibs.SYS_OBJECT_ID) or ())[: len(mibs.CISCO)] == mibs.CISCO:
            walk = await walk_cisco_vlans(client, session, walk, client.settings, tables)
    return walk


async def walk_cisco_vlans(
    client: SnmpClient,
    session: SnmpSession,
    walk: Walk,
    settings: SnmpSettings,
    tables: list[str],
) -> Walk:
    """Walk each VLAN's forwarding table of a Cisco switch, which answers one VLAN at a time.

    A VLAN is asked for with community ``COMMUNITY@VLAN`` (v2c) or context
    ``vlan-VLAN`` (v3). The first VLAN that does not answer ends the round:
    the switch then does not index its tables by VLAN, and each further try
    would cost a timeout.
    """
    walk = walk.merged(await session.walk(mibs.CISCO_VLANS.columns))
    tables.append(mibs.CISCO_VLANS.name)
    vlans = cisco_vlans(walk)[: settings.max_vlans]
    if vlans:
        tables.append(mibs.VLAN_FORWARDING.name)
    for vlan in vlans:
        credential, context = _in_vlan(session.credential, vlan)
        vlan_session = await client.session(
            session.address,
            credential,
            timeout=settings.timeout,
            retries=settings.probe_retries,
            context=context,
        )
        try:
            found = await vlan_session.walk(mibs.VLAN_FORWARDING.columns)
        except SnmpError as exc:
            logger.info(
                "%s: VLAN %d forwarding table not read, VLANs left: %s", session.address, vlan, exc
            )
            break
        walk = walk.merged(as_vlan_rows(vlan, found))
    return walk


def _in_vlan(credential: CommunityV2c | UsmUser, vlan: int) -> tuple[CommunityV2c | UsmUser, str]:
    if isinstance(credential, CommunityV2c):
        secret = SecretStr(f"{credential.community.get_secret_value()}@{vlan}")
        return CommunityV2c(name=credential.name, community=secret), ""
    return credential, f"vlan-{vlan}"


def _failed(
    address: str, credential: str | None, tables: list[str], error: str, started: float
) -> SnmpDeviceResult:
    logger.info("%s", error)
    return SnmpDeviceResult(
        address=address,
        credential=credential,
        tables=tables,
        error=error,
        seconds=round(time.monotonic() - started, 3),
    )


async def find_credential(
    client: SnmpClient,
    address: str,
    credentials: Sequence[CommunityV2c | UsmUser],
    remembered: str | None,
) -> tuple[SnmpSession, Walk]:
    """Find a credential the device answers to; return a session with it and the probe."""
    first = [c for c in credentials if c.name == remembered]
    rest = [c for c in credentials if c.name != remembered]
    failures: list[SnmpError] = []
    for round_ in (first, rest):
        if not round_:
            continue
        try:
            credential, probe = await _first_answer(client, address, round_)
        except _NoAnswer as exc:
            failures.extend(exc.failures)
            continue
        settings = client.settings
        session = await client.session(
            address, credential, timeout=settings.timeout, retries=settings.retries
        )
        return session, probe
    raise _best_error(address, failures)


class _NoAnswer(Exception):  # noqa: N818 - internal signal carrying the failures
    def __init__(self, failures: list[SnmpError]) -> None:
        super().__init__("no credential answered")
        self.failures = failures


async def _first_answer(
    client: SnmpClient, address: str, credentials: Sequence[CommunityV2c | UsmUser]
) -> tuple[CommunityV2c | UsmUser, Walk]:
    tasks = [asyncio.create_task(_probe(client, address, c)) for c in credentials]
    failures: list[SnmpError] = []
    try:
        for next_done in asyncio.as_completed(tasks):
            try:
                return await next_done
            except SnmpError as exc:
                failures.append(exc)
    finally:
        for task in tasks:
            task.cancel()
    raise _NoAnswer(failures)


async def _probe(
    client: SnmpClient, address: str, credential: CommunityV2c | UsmUser
) -> tuple[CommunityV2c | UsmUser, Walk]:
    settings = client.settings
    session = await client.session(
        address, credential, timeout=settings.probe_timeout, retries=settings.probe_retries
    )
    found: list[tuple[Oid, Value]] = await session.get(mibs.PROBE_SCALARS)
    if not any(oid in (mibs.SYS_OBJECT_ID, mibs.SYS_DESCR) for oid, _ in found):
        raise SnmpResponseError(
            f"{address}: answered credential {credential.name!r} without a system group"
        )
    logger.debug("%s: credential %s answered", address, credential.name)
    return credential, Walk(found)


def _best_error(address: str, failures: list[SnmpError]) -> SnmpError:
    """Prefer what says most: refused or malformed over silence."""
    for kind in (SnmpAuthError, SnmpResponseError):
        for failure in failures:
            if isinstance(failure, kind):
                return failure
    tried = len(failures)
    return SnmpTimeoutError(
        f"{address}: no SNMP answer to any of {tried} credential(s): the device is down, "
        "does not run SNMP, filters the collector, or none of the credentials is right"
    )
