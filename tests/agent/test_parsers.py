"""Parsers on the cases the recordings do not cover: rpm, odd dpkg states, kinds, routes."""

import subprocess
from pathlib import Path

import pytest

from muster.agent.build import kind_of
from muster.agent.capture import run_command
from muster.agent.facts import HostFacts, PackageFacts
from muster.agent.parse.network import parse_proc_ipv6_route, parse_proc_route
from muster.agent.parse.packages import parse_dpkg_status, parse_rpm_query
from muster.agent.parse.system import parse_dmi, parse_firmware_date

SPEC = """\
Name: muster-test-tool
Version: 1.2.3
Release: 4
Epoch: 2
Summary: a package for the agent's rpm test
License: Apache-2.0
BuildArch: noarch
Vendor: Muster Test Vendor
%description
A package with no files, installed into a test database.
%files
"""


def test_rpm_packages_are_read_from_a_real_rpm_database(tmp_path: Path) -> None:
    (tmp_path / "tool.spec").write_text(SPEC)
    database = tmp_path / "rpmdb"
    subprocess.run(
        [
            "rpmbuild",
            "-bb",
            "--define",
            f"_topdir {tmp_path / 'build'}",
            str(tmp_path / "tool.spec"),
        ],
        check=True,
        capture_output=True,
    )
    (package,) = (tmp_path / "build" / "RPMS" / "noarch").glob("*.rpm")
    subprocess.run(["rpm", "--dbpath", str(database), "--initdb"], check=True)
    subprocess.run(
        ["rpm", "--dbpath", str(database), "-i", "--justdb", "--nodeps", str(package)],
        check=True,
        capture_output=True,
    )

    output = run_command("rpm", "--dbpath", str(database))

    assert output is not None
    assert parse_rpm_query(output) == [
        PackageFacts(
            name="muster-test-tool",
            version="2:1.2.3-4",
            arch="noarch",
            vendor="Muster Test Vendor",
            manager="rpm",
        )
    ]


def test_rpm_pseudo_packages_and_missing_values_are_handled() -> None:
    output = "gpg-pubkey\t8483c65d-5ccc5b19\t(none)\t(none)\nbash\t5.1.8-9.el9\tx86_64\t(none)\n"

    assert parse_rpm_query(output) == [
        PackageFacts(name="bash", version="5.1.8-9.el9", arch="x86_64", vendor=None, manager="rpm")
    ]


def test_dpkg_packages_removed_but_with_configuration_left_are_not_installed() -> None:
    status = (
        "Package: vim\nStatus: install ok installed\nVersion: 2:9.0\nArchitecture: amd64\n"
        "Description: editor\n more text\n\n"
        "Package: old-tool\nStatus: deinstall ok config-files\nVersion: 1.0\n"
        "Architecture: all\n\n"
        "Package: held\nStatus: hold ok installed\nVersion: 3\nArchitecture: all\n"
    )

    assert [(p.name, p.version) for p in parse_dpkg_status(status)] == [
        ("held", "3"),
        ("vim", "2:9.0"),
    ]


@pytest.mark.parametrize(
    ("chassis", "battery", "virtual", "kind"),
    [
        (10, None, False, "laptop"),
        (31, None, False, "laptop"),
        (23, None, False, "server"),
        (17, None, False, "server"),
        (3, True, False, "workstation"),
        (35, None, False, "workstation"),
        (1, True, False, "laptop"),
        (1, None, True, "server"),
        (2, None, False, "workstation"),
        (None, True, None, "laptop"),
        (None, None, True, None),
    ],
    ids=[
        "notebook",
        "convertible",
        "rack",
        "main-server",
        "desktop-on-ups",
        "mini-pc",
        "other-with-battery",
        "other-vm",
        "unknown-physical",
        "no-dmi-battery",
        "no-dmi-container",
    ],
)
def test_kind_follows_the_chassis_type_then_battery_then_virtualisation(
    chassis: int | None, battery: bool | None, virtual: bool | None, kind: str | None
) -> None:
    facts = HostFacts(
        chassis_type=chassis,
        chassis="x" if chassis else None,
        battery_present=battery,
        virtual=virtual,
        hypervisor="kvm" if virtual else None,
    )

    assert kind_of(facts)[0] == kind


def test_dmi_placeholders_are_absent_and_lenovo_model_comes_from_product_version() -> None:
    dmi = parse_dmi(
        {
            "sys_vendor": "To Be Filled By O.E.M.\n",
            "product_name": "System Product Name\n",
            "product_uuid": "not-a-uuid\n",
            "chassis_type": "3\n",
        }
    )
    lenovo = parse_dmi({"sys_vendor": "LENOVO\n", "product_name": "20L9CTO1WW\n"})

    assert dmi is not None
    assert (dmi.vendor, dmi.model, dmi.system_uuid, dmi.chassis_type) == (None, None, None, 3)
    assert lenovo is not None
    assert lenovo.model == "20L9CTO1WW"
    assert parse_dmi({}) is None


@pytest.mark.parametrize(
    ("text", "iso"),
    [("04/12/2021", "2021-04-12"), ("12/31/99", "1999-12-31"), ("13/40/2020", None), ("", None)],
    ids=["smbios-2.3", "two-digit-year", "impossible", "empty"],
)
def test_firmware_dates_are_read_as_smbios_writes_them(text: str, iso: str | None) -> None:
    parsed = parse_firmware_date(text)

    assert (parsed.isoformat() if parsed else None) == iso


def test_default_gateways_are_read_from_proc_net() -> None:
    route = (
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    )
    zero = "0" * 32
    ipv6_route = (
        f"{zero} 00 {zero} 00 fd000000000000000000000000000001 00000400 00000002 00000000 "
        "00000003     eth0\n"
    )

    assert parse_proc_route(route) == "192.0.2.1"
    assert parse_proc_ipv6_route(ipv6_route) == "fd00::1"
