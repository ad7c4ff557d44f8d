"""A real inventory of the machine the tests run on, checked against what the OS reports.

The agent runs as a user runs it (``muster agent run --output``); its facts
are compared with the OS's own tools (``ip``, ``lsblk``, ``dpkg-query``) and
files (/proc/meminfo, /sys/class/dmi/id), then the inventory is ingested into
the CMDB and the asset is checked the same way.
"""

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import pytest

from muster.cmdb.db import Database
from muster.cmdb.ingest import ingest
from muster.cmdb.observation import Observation, load_observations
from muster.cmdb.views import describe_asset, find_asset
from tests.agent.conftest import run_agent

DMI = Path("/sys/class/dmi/id")


def _dmi(name: str) -> str | None:
    try:
        return (DMI / name).read_text().strip() or None
    except OSError:
        return None


def _memory_total() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal in /proc/meminfo")


def _macs() -> list[str]:
    links = json.loads(
        subprocess.run(["ip", "-j", "link"], capture_output=True, check=True).stdout
    )
    return sorted(
        link["address"]
        for link in links
        if link.get("link_type") != "loopback"
        and len(link.get("address", "")) == 17
        and link["address"] != "00:00:00:00:00:00"
    )


def _disks() -> list[tuple[str, int]]:
    output = subprocess.run(
        ["lsblk", "-J", "-b", "-d", "-o", "NAME,SIZE,TYPE"], capture_output=True, check=True
    ).stdout
    return sorted(
        (device["name"], int(device["size"]))
        for device in json.loads(output)["blockdevices"]
        if device["type"] == "disk"
        and int(device["size"]) > 0
        and not device["name"].startswith(("loop", "zram", "ram"))
    )


def _installed_packages() -> int:
    output = subprocess.run(
        ["dpkg-query", "-W", "-f", "${db:Status-Status}\n"], capture_output=True, check=True
    ).stdout.decode()
    return output.split().count("installed")


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Observation:
    """This host's inventory, taken once by ``muster agent run --output``."""
    output = tmp_path_factory.mktemp("inventory") / "host.json"
    result = run_agent("agent", "run", "--output", str(output))
    assert result.returncode == 0, result.stderr
    (observation,) = load_observations(output.read_text(), name=str(output))
    return observation


def test_agent_run_reports_this_host_as_the_os_does(inventory: Observation) -> None:
    ids, attributes = inventory.identifiers, inventory.attributes

    assert ids.serial == _dmi("product_serial")
    assert ids.system_uuid == _dmi("product_uuid")
    assert ids.machine_id == Path("/etc/machine-id").read_text().strip()
    assert ids.macs == _macs()
    assert attributes.memory_bytes == _memory_total()
    assert attributes.os_kernel == platform.release()
    assert attributes.cpu_threads == os.cpu_count()
    assert inventory.disks is not None
    assert sorted((d.name, d.size_bytes) for d in inventory.disks) == _disks()
    assert inventory.software is not None
    assert len(inventory.software) == _installed_packages()


def test_inventory_ingested_into_cmdb_gives_this_host_as_the_os_reports_it(
    inventory: Observation, database: Database
) -> None:
    with database.session(writer=True) as session:
        report = ingest(session, [inventory])
    decision = report.decisions[0]

    with database.session() as session:
        asset: Any = describe_asset(session, find_asset(session, str(decision.asset_id)))

    assert decision.outcome == "created"
    assert asset.serial == _dmi("product_serial")
    assert asset.system_uuid == _dmi("product_uuid")
    assert asset.macs == _macs()
    assert asset.memory_bytes == _memory_total()
    assert sorted((d["name"], d["size_bytes"]) for d in asset.disks) == _disks()
    assert len(asset.software) == _installed_packages()
    machine_ids = [i.value for i in asset.identifiers if i.type == "machine_id"]
    assert machine_ids == [Path("/etc/machine-id").read_text().strip()]
