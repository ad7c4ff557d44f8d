"""The contract every recording must meet: its expected Observation, fact for fact.

Each case under tests/fixtures/agent/<case>/ is what the agent read on one
real machine (its README says which and how); ``expected.json`` next to it is
the Observation the agent must build from it. Record a new case with
``muster agent record DIR``.
"""

import json
from pathlib import Path

import pytest

from muster.agent.build import build_observation
from muster.agent.collect import gather_facts
from muster.agent.snapshot import Snapshot
from muster.cmdb.observation import Observation

FIXTURES = Path(__file__).parents[1] / "fixtures" / "agent"
CASES = sorted(path.name for path in FIXTURES.iterdir() if (path / "meta.json").exists())


def _observation(case: str) -> Observation:
    snapshot = Snapshot.load(FIXTURES / case)
    return build_observation(gather_facts(snapshot), observed_at=snapshot.captured_at, site=None)


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_recorded_host_gives_its_expected_observation(case: str) -> None:
    expected = json.loads((FIXTURES / case / "expected.json").read_text())

    assert _observation(case).to_json_dict() == expected


def test_rack_server_with_dmi_is_identified_by_serial_and_uuid() -> None:
    observation = _observation("dell-poweredge-r6515")

    assert observation.identifiers.serial == "7N62AI2"
    assert observation.identifiers.system_uuid == "83340ca8-cb49-4474-8c29-d2088ca84dd9"
    assert observation.attributes.kind == "server"
    assert (observation.attributes.vendor, observation.attributes.model) == (
        "Dell Inc.",
        "PowerEdge R6515",
    )
    assert observation.attributes.firmware_date is not None
    assert observation.attributes.firmware_date.isoformat() == "2021-04-12"
    assert observation.attributes.virtual is False
    assert observation.software is None
    assert observation.interfaces is None


def test_laptop_read_without_root_has_no_serial_and_is_identified_by_machine_id() -> None:
    observation = _observation("lenovo-thinkpad-t580-user")

    assert observation.identifiers.serial is None
    assert observation.identifiers.system_uuid is None
    assert observation.identifiers.machine_id == "a3270e14c8c2473d891c33bc11266649"
    assert observation.attributes.kind == "laptop"
    assert observation.attributes.model == "ThinkPad T580"
    assert (observation.attributes.os_name, observation.attributes.os_version) == (
        "Ubuntu",
        "24.04",
    )


def test_container_without_dmi_reports_machine_id_packages_and_virtual_disk() -> None:
    case = FIXTURES / "debian12-container-no-dmi"
    status = (case / "files/var/lib/dpkg/status").read_text()

    observation = _observation(case.name)

    assert observation.identifiers.serial is None
    assert (
        observation.identifiers.machine_id == (case / "files/etc/machine-id").read_text().strip()
    )
    assert observation.attributes.kind is None
    assert (observation.attributes.virtual, observation.attributes.hypervisor) == (True, "docker")
    assert observation.software is not None
    assert len(observation.software) == status.count("\nStatus: install ok installed\n") == 859
    assert observation.disks is not None
    assert [(d.name, d.size_bytes, d.media) for d in observation.disks] == [
        ("vda", 536870912 * 512, "virtual")
    ]
    assert observation.filesystems is not None
    assert [f.mountpoint for f in observation.filesystems] == ["/"]


def test_host_without_linux_sources_reports_psutil_facts_and_invents_nothing() -> None:
    recorded = Snapshot.load(FIXTURES / "debian12-container-no-dmi")
    psutil_only = Snapshot(
        captured_at=recorded.captured_at,
        platform={"system": "Windows", "release": "11", "version": "10.0.26100"},
        psutil=recorded.psutil,
    )

    facts = gather_facts(psutil_only)

    assert facts.memory_bytes == 25276071936
    assert (facts.cpu_cores, facts.cpu_threads) == (2, 2)
    assert facts.interfaces is not None
    assert [(i.name, i.mac, i.addresses) for i in facts.interfaces] == [
        ("eth0", "02:fc:00:00:00:01", ("192.0.2.2", "fd00::2", "fe80::fc:ff:fe00:1")),
        ("ifb0", "d6:e8:24:a9:be:35", ()),
        ("ifb1", "1e:bd:81:36:7a:fa", ()),
    ]
    assert facts.filesystems is not None
    assert len(facts.filesystems) == 1
    assert (facts.os_name, facts.os_version, facts.os_kernel) == ("Windows 11", "10.0.26100", None)
    absent = (
        facts.serial,
        facts.system_uuid,
        facts.machine_id,
        facts.chassis_type,
        facts.cpu_model,
        facts.cpu_sockets,
        facts.disks,
        facts.packages,
        facts.virtual,
    )
    assert absent == (None,) * len(absent)
