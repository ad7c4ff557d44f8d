"""Sweeping the lab district end to end: `muster sweep --all` run in the collector namespace."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from muster.cmdb.db import Database
from muster.cmdb.models import Observation, utcnow
from muster.cmdb.views import AssetSummary, describe_asset, find_asset, list_assets, list_sweeps
from muster.collector.lab import Lab
from muster.collector.lab.district import DEVICES, address, config_toml
from muster.collector.records import reap_stale
from tests.collector.conftest import MUSTER, run_in_lab

# The core router answers SNMP: its two gateway addresses are one machine, and its
# ARP cache also reveals the collector itself.
COLLECTOR = "10.77.1.250"
DEVICES_SWEPT = [d for d in DEVICES if not d.excluded]
MACHINES = sorted(
    [{"10.77.1.1", "10.77.2.1"}, {COLLECTOR}, *({address(d)} for d in DEVICES_SWEPT)],
    key=sorted,
)
ALIVE = {"lincoln-es": 7, "roosevelt-ms": 5}


@dataclass
class Swept:
    """The CMDB after two sweeps of the whole district, and what each run printed."""

    database: Database
    runs: list[list[dict[str, object]]]


@pytest.fixture(scope="module")
def swept(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Swept]:
    folder = tmp_path_factory.mktemp("district")
    config = folder / "muster.toml"
    config.write_text(config_toml())
    url = f"sqlite:///{folder / 'muster.db'}"
    runs = []
    for _ in range(2):
        done = run_in_lab(
            lab, ["sweep", "--all", "--config", str(config), "--format", "json"], url
        )
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout))
    database = Database(url)
    yield Swept(database, runs)
    database.dispose()


def assets_by_ip(database: Database) -> dict[str, AssetSummary]:
    with database.session() as session:
        return {ip: asset for asset in list_assets(session) for ip in asset.ips}


def lab_addresses(asset: AssetSummary) -> set[str]:
    """The asset's addresses in the lab (a recorded device also keeps its recorded ones)."""
    return {ip for ip in asset.ips if ip.startswith("10.77.")}


def test_sweep_twice_finds_every_machine_once_and_nothing_else(swept: Swept) -> None:
    with swept.database.session() as session:
        machines = sorted((lab_addresses(a) for a in list_assets(session)), key=sorted)

    assert machines == MACHINES


def test_sweep_places_every_device_at_its_school(swept: Swept) -> None:
    by_ip = assets_by_ip(swept.database)

    assert {address(d): by_ip[address(d)].site for d in DEVICES_SWEPT} == {
        address(d): d.school for d in DEVICES_SWEPT
    }


def test_sweep_all_goes_highest_priority_first_and_records_counts(swept: Swept) -> None:
    for run in swept.runs:
        assert [(r["site"], r["status"], r["targets"], r["alive"]) for r in run] == [
            ("lincoln-es", "completed", 253, ALIVE["lincoln-es"]),
            ("roosevelt-ms", "completed", 254, ALIVE["roosevelt-ms"]),
        ]
    with swept.database.session() as session:
        sweeps, _total = list_sweeps(session)
    assert [(s.site, s.status, s.alive, s.probed == s.total) for s in sweeps] == [
        ("roosevelt-ms", "completed", ALIVE["roosevelt-ms"], True),
        ("lincoln-es", "completed", ALIVE["lincoln-es"], True),
        ("roosevelt-ms", "completed", ALIVE["roosevelt-ms"], True),
        ("lincoln-es", "completed", ALIVE["lincoln-es"], True),
    ]


def test_sweep_names_attached_hosts_by_mac_and_vendor(swept: Swept) -> None:
    by_ip = assets_by_ip(swept.database)
    attached = [d for d in DEVICES_SWEPT if d.school == "lincoln-es"]

    assert all(d.mac in by_ip[address(d)].macs for d in attached)
    assert {address(d): by_ip[address(d)].vendor for d in attached} == {
        "10.77.1.2": "Cisco",
        "10.77.1.10": "Dell",
        "10.77.1.20": "HP",
        "10.77.1.30": "Eaton",
        "10.77.1.40": "Intel",
    }


def test_sweep_lists_open_ports_of_each_host(swept: Swept) -> None:
    with swept.database.session() as session:
        ports = {
            address(d): sorted(
                s["port"]
                for s in describe_asset(session, find_asset(session, address(d))).services
            )
            for d in DEVICES
            if not d.excluded
        }

    assert ports == {address(d): sorted(d.ports) for d in DEVICES if not d.excluded}


def test_sweep_finds_arp_only_host_by_arp_and_ping_only_host_by_icmp(swept: Swept) -> None:
    with swept.database.session() as session:
        quiet = describe_asset(session, find_asset(session, "10.77.1.40"))
        pinger = describe_asset(session, find_asset(session, "10.77.2.30"))

    # SNMP only hears of them, from a switch's forwarding table and the router's ARP cache.
    assert (set(quiet.seen_by) - {"snmp"}, set(pinger.seen_by) - {"snmp"}) == ({"arp"}, {"icmp"})
    assert "snmp" in quiet.seen_by
    assert "snmp" in pinger.seen_by


def test_sweep_never_records_the_excluded_host(swept: Swept) -> None:
    assert "10.77.1.50" not in assets_by_ip(swept.database)


def wait_for_sweep_record(database: Database) -> None:
    """Wait until the sweep running against this database has recorded itself."""
    for _ in range(300):
        time.sleep(0.05)
        # The database gets its schema from the sweeping process; it may not have it yet.
        with contextlib.suppress(SQLAlchemyError), database.session() as session:
            if list_sweeps(session)[1]:
                return
    raise AssertionError("the sweep never recorded itself")


def wait_for_assets(database: Database, count: int) -> None:
    """Wait until the running sweep has stored at least ``count`` assets."""
    for _ in range(600):
        with database.session() as session:
            if len(list_assets(session)) >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"the sweep never stored {count} assets")


def test_sweep_stopped_half_way_keeps_what_it_found_and_is_interrupted(
    lab: Lab, tmp_path: Path
) -> None:
    config = tmp_path / "slow.toml"
    # 20 packets a second: the ARP round alone takes over twelve seconds.
    config.write_text(config_toml(rate_limit=20))
    url = f"sqlite:///{tmp_path / 'muster.db'}"
    env = {**os.environ, **lab.environment(), "MUSTER_DATABASE_URL": url}
    argv = [MUSTER, "sweep", "--site", "lincoln-es", "--config", str(config), "--format", "json"]
    process = subprocess.Popen(
        lab.in_collector(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    database = Database(url)
    wait_for_sweep_record(database)
    time.sleep(2.5)

    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)

    assert process.returncode == 130, err
    assert "sweep interrupted: what was found is kept" in err
    with database.session() as session:
        (sweep,), _total = list_sweeps(session)
        found = {ip for a in list_assets(session) for ip in a.ips}
    database.dispose()
    assert sweep.status == "interrupted"
    assert {"10.77.1.1", "10.77.1.2", "10.77.1.10", "10.77.1.20"} <= found
    assert found < {address(d) for d in DEVICES_SWEPT} | {"10.77.1.1", COLLECTOR}
    assert sweep.observations == len(found)


def test_sweep_without_raw_sockets_finds_hosts_by_tcp_connect(lab: Lab, tmp_path: Path) -> None:
    config = tmp_path / "muster.toml"
    config.write_text(config_toml())
    env = {
        **os.environ,
        **lab.environment(),
        "MUSTER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
    }
    targets = ["10.77.1.10", "10.77.1.40", "10.77.2.10", "10.77.2.30"]
    # Root without CAP_NET_RAW: no ARP, no ICMP, no nmap SYN; TCP connect still works.
    unprivileged = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", MUSTER]
    argv = [*unprivileged, "sweep", "--all", "--config", str(config), "--format", "json"]
    argv += [arg for address in targets for arg in ("--target", address)]

    done = subprocess.run(lab.in_collector(argv), env=env, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)
    techniques = ["tcp", "snmp"]
    assert [(r["site"], r["techniques"], r["alive"]) for r in runs] == [
        ("lincoln-es", techniques, 1),
        ("roosevelt-ms", techniques, 1),
    ]
    assert "skipped arp: arp needs root (raw packets)" in runs[0]["errors"]
    database = Database(env["MUSTER_DATABASE_URL"])
    with database.session() as session:
        found = {ip for a in list_assets(session) for ip in lab_addresses(a)}
    database.dispose()
    assert found == {"10.77.1.10", "10.77.2.10"}


def test_sweep_killed_outright_keeps_what_it_found_and_is_reaped_as_interrupted(
    lab: Lab, tmp_path: Path
) -> None:
    config = tmp_path / "slow.toml"
    config.write_text(config_toml(rate_limit=20))
    url = f"sqlite:///{tmp_path / 'muster.db'}"
    env = {**os.environ, **lab.environment(), "MUSTER_DATABASE_URL": url}
    argv = [MUSTER, "sweep", "--site", "lincoln-es", "--config", str(config)]
    process = subprocess.Popen(
        lab.in_collector(argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    database = Database(url)
    wait_for_sweep_record(database)
    # Four answers are far fewer than a batch: only the store every second writes them.
    wait_for_assets(database, 4)

    process.kill()
    process.wait(timeout=30)

    with database.session() as session:
        found = {ip for a in list_assets(session) for ip in a.ips}
        (running,), _total = list_sweeps(session)
    with database.session(writer=True) as session:
        reaped = reap_stale(session, now=utcnow() + timedelta(minutes=3))
    with database.session() as session:
        (sweep,), _total = list_sweeps(session)
    database.dispose()
    assert {"10.77.1.1", "10.77.1.2", "10.77.1.10", "10.77.1.20"} <= found
    assert running.status == "running"
    assert (reaped, sweep.status) == ([sweep.id], "interrupted")
    assert sweep.errors == ["the sweeping process stopped without finishing"]


def test_sweep_observations_carry_their_sweep_and_collector(swept: Swept) -> None:
    with swept.database.session() as session:
        rows = session.execute(select(Observation.sweep_id, Observation.collector)).all()
        sweeps, _total = list_sweeps(session)

    assert {sweep_id for sweep_id, _collector in rows} == {s.id for s in sweeps}
    assert {collector for _sweep_id, collector in rows} == {socket.gethostname()}
