"""Properties of ingest that must hold for any data, checked with generated districts.

- any permutation of one batch of Observations gives the same assets;
- ingesting the same Observations again changes nothing;
- no two assets share a usable identifier;
- when every Observation carries a MAC or serial of its machine, there is one
  asset per machine, whatever order the Observations arrive in across calls.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from muster.cmdb.db import Database
from muster.cmdb.models import Identifier
from muster.cmdb.observation import Observation
from tests.cmdb.helpers import assets, run_ingest
from tests.conftest import truncate_all
from tests.factories import observation

SOURCES_WITH_ANCHOR = ("agent", "snmp", "arp", "nmap")


@dataclass(frozen=True)
class Device:
    """A synthetic machine: what each source could see of it."""

    number: int
    serial: str | None
    uuid: str | None
    macs: tuple[str, ...]
    hostname: str
    ip: str
    kind: str


@st.composite
def devices(draw: st.DrawFn) -> list[Device]:
    count = draw(st.integers(min_value=1, max_value=6))
    result = []
    for number in range(count):
        has_serial = draw(st.booleans())
        placeholder = draw(st.booleans())
        serial = (
            ("To Be Filled By O.E.M." if placeholder else f"SN{number:05d}")
            if has_serial
            else None
        )
        uuid = f"4c4c4544-0000-1000-8000-{number:012x}" if draw(st.booleans()) else None
        nics = draw(st.integers(min_value=1, max_value=2))
        macs = tuple(f"00:1b:21:{number:02x}:00:{nic:02x}" for nic in range(nics))
        kind = draw(st.sampled_from(["workstation", "server", "printer", "laptop"]))
        result.append(
            Device(number, serial, uuid, macs, f"host-{number}", f"10.5.0.{number + 10}", kind)
        )
    return result


def sighting(device: Device, source: str, minutes: int, nic: int) -> Observation:
    """What one source sees of a device; every sighting carries one of its MACs."""
    mac = device.macs[nic % len(device.macs)]
    at = timedelta(minutes=minutes)
    if source == "agent":
        return observation(
            "agent", at=at, serial=device.serial, system_uuid=device.uuid,
            macs=list(device.macs), hostname=device.hostname, ips=[device.ip],
            attributes={"kind": device.kind, "memory_bytes": 8 << 30},
        )  # fmt: skip
    if source == "snmp":
        return observation("snmp", at=at, macs=[mac], hostname=device.hostname,
                           attributes={"description": f"device {device.number}"})  # fmt: skip
    if source == "nmap":
        return observation("nmap", at=at, macs=[mac], ips=[device.ip],
                           attributes={"os_name": "Linux"})  # fmt: skip
    return observation("arp", at=at, macs=[mac], ips=[device.ip])


@st.composite
def districts(draw: st.DrawFn) -> tuple[list[Device], list[tuple[int, Observation]]]:
    """Devices and their sightings, each tagged with the device it shows."""
    machines = draw(devices())
    sightings = []
    for device in machines:
        # One full agent report per machine ties its NICs together.
        minutes = draw(st.integers(min_value=0, max_value=600))
        sightings.append((device.number, sighting(device, "agent", minutes, 0)))
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            source = draw(st.sampled_from(SOURCES_WITH_ANCHOR))
            minutes = draw(st.integers(min_value=0, max_value=600))
            nic = draw(st.integers(min_value=0, max_value=1))
            sightings.append((device.number, sighting(device, source, minutes, nic)))
    return machines, sightings


@contextmanager
def fresh(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh CMDB for one generated example."""
    if backend == "sqlite":
        import shutil

        path = tmp_path / f"p{random.getrandbits(32)}.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("postgres_url"))
        truncate_all(database)
    try:
        yield database
    finally:
        database.dispose()


def snapshot(database: Database) -> list[tuple[Any, ...]]:
    """The CMDB's assets as comparable data, independent of ids."""
    return sorted(
        (
            tuple(sorted((i.type, i.value, i.usable) for i in asset.identifiers)),
            asset.kind,
            asset.hostname,
            asset.serial,
            asset.memory_bytes,
            asset.status,
            asset.first_seen,
            asset.last_seen,
        )
        for asset in assets(database)
    )


def partition(database: Database, tagged: list[tuple[int, Observation]]) -> set[frozenset[int]]:
    """Which devices ended up together: a set of groups of device numbers."""
    groups: dict[int, set[int]] = {}
    with database.session() as session:
        query = select(Identifier.value, Identifier.asset_id).where(Identifier.type == "mac")
        owner = dict(session.execute(query).all())
    for device, obs in tagged:
        groups.setdefault(owner[obs.identifiers.macs[0]], set()).add(device)
    return {frozenset(group) for group in groups.values()}


BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
PROPERTY = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@BACKENDS
@PROPERTY
@given(district=districts(), order=st.randoms(use_true_random=False))
def test_any_permutation_of_a_batch_gives_the_same_assets(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    district: tuple[list[Device], list[tuple[int, Observation]]],
    order: random.Random,
) -> None:
    _machines, tagged = district
    observations = [obs for _device, obs in tagged]
    shuffled = observations[:]
    order.shuffle(shuffled)

    with fresh(backend, request, tmp_path) as first:
        run_ingest(first, observations)
        expected = snapshot(first)
    with fresh(backend, request, tmp_path) as second:
        run_ingest(second, shuffled, batch_size=3)
        assert snapshot(second) == expected


@BACKENDS
@PROPERTY
@given(district=districts())
def test_ingesting_twice_changes_nothing(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    district: tuple[list[Device], list[tuple[int, Observation]]],
) -> None:
    observations = [obs for _device, obs in district[1]]
    with fresh(backend, request, tmp_path) as database:
        run_ingest(database, observations)
        before = snapshot(database)

        report = run_ingest(database, observations)

        assert snapshot(database) == before
        assert {d.outcome for d in report.decisions} == {"unchanged"}


@BACKENDS
@PROPERTY
@given(district=districts(), order=st.randoms(use_true_random=False))
def test_one_asset_per_machine_and_no_shared_usable_identifier(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    district: tuple[list[Device], list[tuple[int, Observation]]],
    order: random.Random,
) -> None:
    machines, tagged = district
    shuffled = tagged[:]
    order.shuffle(shuffled)
    with fresh(backend, request, tmp_path) as database:
        # Arrivals in several calls, in any order, as from several collectors.
        for start in range(0, len(shuffled), 2):
            run_ingest(database, [obs for _device, obs in shuffled[start : start + 2]])

        assert partition(database, tagged) == {frozenset({d.number}) for d in machines}
        with database.session() as session:
            shared_usable = session.execute(
                select(Identifier.type, Identifier.value)
                .where(Identifier.usable)
                .group_by(Identifier.type, Identifier.value)
                .having(func.count(func.distinct(Identifier.asset_id)) > 1)
            ).all()
        assert shared_usable == []
