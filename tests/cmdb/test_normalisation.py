"""Normalisation: placeholders, MACs, vendors, host names and kinds, one case each."""

import pytest

from muster.cmdb.kinds import Kind, parse_kind
from muster.cmdb.network import (
    VIRTUAL_OUIS,
    VIRTUAL_PREFIXES,
    canonical_mac,
    hostname_identity_problem,
    ip_identity_problem,
    mac_identity_problem,
    mac_vendor,
    split_hostname,
)
from muster.cmdb.placeholders import (
    PLACEHOLDER_SERIALS,
    PLACEHOLDER_UUIDS,
    PLACEHOLDER_VENDORS,
    is_placeholder_serial,
    is_placeholder_uuid,
    is_placeholder_vendor,
)
from muster.cmdb.vendors import canonical_vendor


@pytest.mark.parametrize("serial", sorted(PLACEHOLDER_SERIALS), ids=sorted(PLACEHOLDER_SERIALS))
def test_each_listed_placeholder_serial_is_refused_in_any_case(serial: str) -> None:
    assert is_placeholder_serial(serial)
    assert is_placeholder_serial(serial.upper())
    assert is_placeholder_serial(f"  {serial.title()} ")


@pytest.mark.parametrize(
    "serial",
    ["0000000000", "XXXXXXXX", "........", "11", "  "],
    ids=["zeros", "xs", "dots", "too-short", "blank"],
)
def test_repeated_or_short_serials_are_placeholders(serial: str) -> None:
    assert is_placeholder_serial(serial)


@pytest.mark.parametrize(
    "serial",
    ["CZC1234ABC", "5CG0001", "7XK2Q33", "VMware-56 4d 7a 3b", "PF0ABCDE"],
    ids=["hp", "hp-laptop", "dell-tag", "vmware", "lenovo"],
)
def test_real_serials_are_not_placeholders(serial: str) -> None:
    assert not is_placeholder_serial(serial)


@pytest.mark.parametrize("vendor", sorted(PLACEHOLDER_VENDORS), ids=sorted(PLACEHOLDER_VENDORS))
def test_each_listed_placeholder_vendor_is_refused(vendor: str) -> None:
    assert is_placeholder_vendor(vendor.upper())
    assert canonical_vendor(vendor) is None


@pytest.mark.parametrize("uuid", sorted(PLACEHOLDER_UUIDS), ids=sorted(PLACEHOLDER_UUIDS))
def test_each_listed_placeholder_uuid_is_refused(uuid: str) -> None:
    assert is_placeholder_uuid(uuid)


def test_real_uuid_is_not_a_placeholder() -> None:
    assert not is_placeholder_uuid("4c4c4544-0042-3510-8052-b4c04f4d4e31")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("00:1B:21:AA:BB:CC", "00:1b:21:aa:bb:cc"),
        ("00-1b-21-aa-bb-cc", "00:1b:21:aa:bb:cc"),
        ("001b.21aa.bbcc", "00:1b:21:aa:bb:cc"),
        ("001B21AABBCC", "00:1b:21:aa:bb:cc"),
    ],
    ids=["colons", "dashes", "cisco-dots", "bare"],
)
def test_canonical_mac_reads_every_usual_notation(text: str, canonical: str) -> None:
    assert canonical_mac(text) == canonical


@pytest.mark.parametrize(
    ("mac", "problem"),
    [
        ("00:1b:21:aa:bb:cc", None),
        ("da:a1:19:5e:00:01", "locally administered (randomised or set by software)"),
        ("52:54:00:12:34:56", "locally administered (randomised or set by software)"),
        ("01:00:5e:00:00:01", "multicast address"),
        ("00:00:00:00:00:00", "not a station address"),
        ("ff:ff:ff:ff:ff:ff", "not a station address"),
    ],
    ids=["intel-nic", "phone-private-mac", "qemu", "multicast", "zeros", "broadcast"],
)
def test_mac_identity_problem_says_why(mac: str, problem: str | None) -> None:
    assert mac_identity_problem(mac) == problem


@pytest.mark.parametrize("oui", sorted(VIRTUAL_OUIS), ids=sorted(VIRTUAL_OUIS))
def test_each_virtual_oui_is_not_identity(oui: str) -> None:
    assert mac_identity_problem(f"{oui}:12:34:56") == VIRTUAL_OUIS[oui]


@pytest.mark.parametrize(
    ("prefix", "reason"), VIRTUAL_PREFIXES, ids=[p for p, _ in VIRTUAL_PREFIXES]
)
def test_each_router_redundancy_prefix_is_not_identity(prefix: str, reason: str) -> None:
    mac = (prefix + "0:0a:0b:0c:0d")[:17] if prefix.endswith("f") else (prefix + "0a:0b:0c")[:17]
    assert mac_identity_problem(mac) == reason


@pytest.mark.parametrize(
    ("mac", "vendor"),
    [
        ("3c:d9:2b:01:02:03", "HP"),
        ("00:1b:21:aa:bb:cc", "Intel"),
        ("00:50:56:aa:bb:cc", "VMware"),
        ("00:00:0c:12:34:56", "Cisco"),
        ("da:a1:19:5e:00:01", None),
    ],
    ids=["hp", "intel", "vmware", "cisco", "local"],
)
def test_mac_vendor_comes_from_the_oui_registry(mac: str, vendor: str | None) -> None:
    assert mac_vendor(mac) == vendor


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("HP", "HP"),
        ("Hewlett-Packard", "HP"),
        ("HEWLETT PACKARD", "HP"),
        ("Hewlett-Packard Company", "HP"),
        ("HP Inc.", "HP"),
        ("Hewlett Packard Enterprise", "HPE"),
        ("Dell Inc.", "Dell"),
        ("DELL", "Dell"),
        ("LENOVO", "Lenovo"),
        ("Cisco Systems, Inc", "Cisco"),
        ("ciscoSystems", "Cisco"),
        ("innotek GmbH", "Oracle"),
        ("ASUSTeK COMPUTER INC.", "ASUS"),
        ("Micro-Star International Co., Ltd.", "MSI"),
        ("American Power Conversion Corp.", "APC"),
        ("TP-LINK TECHNOLOGIES CO.,LTD.", "TP-Link"),
        ("Routerboard.com", "MikroTik"),
        ("Acme Widgets, Inc.", "Acme Widgets"),
        ("   ", None),
        ("To Be Filled By O.E.M.", None),
        ("System manufacturer", None),
    ],
    ids=lambda value: str(value),
)
def test_canonical_vendor_folds_aliases(name: str, canonical: str | None) -> None:
    assert canonical_vendor(name) == canonical


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("PC-01.school.local", ("pc-01", "school.local")),
        ("pc-01", ("pc-01", None)),
        ("Library-Printer.", ("library-printer", None)),
        ("10.1.0.5", ("10.1.0.5", None)),
    ],
    ids=["fqdn", "short", "trailing-dot", "address"],
)
def test_split_hostname_lowers_and_keeps_domain_apart(
    text: str, split: tuple[str, str | None]
) -> None:
    assert split_hostname(text) == split


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("pc-01", None),
        ("localhost", "placeholder host name"),
        ("(none)", "placeholder host name"),
        ("10.1.0.5", "an address, not a name"),
        (
            "procurve switch 2810-24g",
            "not a host name (only letters, digits, '-' and '_' may name a host)",
        ),
    ],
    ids=["name", "localhost", "none", "address", "sysname-with-spaces"],
)
def test_hostname_identity_problem(host: str, problem: str | None) -> None:
    assert hostname_identity_problem(host) == problem


@pytest.mark.parametrize(
    ("ip", "problem"),
    [
        ("10.1.0.5", None),
        ("127.0.0.1", "loopback address"),
        ("169.254.1.1", "link-local address"),
        ("fe80::1", "link-local address"),
        ("0.0.0.0", "not a host address"),
    ],
    ids=["private", "loopback", "link-local", "ipv6-link-local", "unspecified"],
)
def test_ip_identity_problem(ip: str, problem: str | None) -> None:
    assert ip_identity_problem(ip) == problem


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("server", Kind.SERVER),
        ("Access Point", Kind.ACCESS_POINT),
        ("access-point", Kind.ACCESS_POINT),
        ("Notebook", Kind.LAPTOP),
        ("Desktop", Kind.WORKSTATION),
        ("MFP", Kind.PRINTER),
        ("toaster", None),
    ],
    ids=["server", "access-point", "dashed", "notebook", "desktop", "mfp", "unknown-word"],
)
def test_parse_kind_maps_source_words_to_one_vocabulary(word: str, kind: Kind | None) -> None:
    assert parse_kind(word) == kind
