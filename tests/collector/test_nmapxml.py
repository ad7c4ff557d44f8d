"""nmap's XML reports, recorded from the lab, read into the Observations expected."""

import json
from pathlib import Path

import pytest

from muster.collector.techniques.nmapxml import NmapReportError, nmap_observations

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nmap"
CASES = sorted(path.name for path in FIXTURES.iterdir() if (path / "report.xml").exists())


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_read_nmap_report_gives_expected_observations(case: str) -> None:
    xml = (FIXTURES / case / "report.xml").read_text()
    expected = json.loads((FIXTURES / case / "expected.json").read_text())

    observations = nmap_observations(xml, site="lincoln-es", sweep_id=7, collector="lab-collector")

    assert [o.to_json_dict() for o in observations] == expected


def test_read_nmap_report_gives_nothing_for_hosts_that_are_down() -> None:
    xml = (FIXTURES / "syn-only" / "report.xml").read_text()
    assert '<hosts up="2" down="1" total="3"/>' in xml

    observations = nmap_observations(xml, site=None)

    assert [o.identifiers.ips for o in observations] == [["10.77.1.2"], ["10.77.1.40"]]


def test_read_nmap_report_keeps_os_match_as_evidence() -> None:
    xml = (FIXTURES / "routed-workstation" / "report.xml").read_text()

    (observation,) = nmap_observations(xml, site="roosevelt-ms")

    assert observation.attributes.os_name == "Linux"
    assert observation.attributes.kind == "workstation"
    assert [(e.attribute, e.reason) for e in observation.evidence] == [
        ("os_name", "nmap OS class Linux Linux (general purpose, 96%)"),
        (
            "kind",
            "desktop ports (remote desktop, file sharing) open and no server port "
            "(web, mail, DNS, directory, database)",
        ),
    ]


def test_read_nmap_report_refuses_broken_xml_naming_the_problem() -> None:
    with pytest.raises(NmapReportError, match=r"^nmap's XML report is not valid XML: "):
        nmap_observations("<nmaprun><host>", site=None)
