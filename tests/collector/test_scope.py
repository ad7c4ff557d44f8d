"""The scope guard: what a sweep may send to, and the process-wide safety net."""

import netaddr
import pytest

from muster.collector import scope
from muster.collector.scope import SafetyNet, Scope, ScopeError, permit

LAB = Scope("lincoln-es", ("10.77.1.0/24",), ("10.77.1.48/29", "10.77.1.1"))


@pytest.fixture(autouse=True)
def net_without_namespace() -> None:
    """These tests send nothing: keep the address net, drop the namespace requirement."""
    scope.set_safety_net(SafetyNet(networks=netaddr.IPSet(["127.0.0.0/8", "10.77.0.0/16"])))


def test_environment_safety_net_refuses_lab_addresses_from_the_machines_namespace() -> None:
    scope.set_safety_net(None)

    assert LAB.refusal("10.77.1.10") == (
        "this process is not inside a network namespace named mstr-*"
    )


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.77.1.10", None),
        ("10.77.1.50", "excluded from site 'lincoln-es'"),
        ("10.77.1.1", "excluded from site 'lincoln-es'"),
        ("10.77.2.10", "outside the subnets of site 'lincoln-es'"),
        ("8.8.8.8", "outside the process-wide safety net MUSTER_SAFETY_NET"),
        ("not-an-ip", "'not-an-ip' is not an IP address"),
    ],
    ids=["inside", "excluded-range", "excluded-address", "other-subnet", "public", "garbage"],
)
def test_scope_refusal_names_why(address: str, reason: str | None) -> None:
    assert LAB.refusal(address) == reason


def test_scope_refuses_public_space_unless_the_site_allows_it() -> None:
    scope.set_safety_net(SafetyNet())
    public = Scope("dmz", ("192.0.32.0/29",))
    allowed = Scope("dmz", ("192.0.32.0/29",), allow_public=True)

    assert (
        public.refusal("192.0.32.2")
        == "public address space, and site 'dmz' does not allow_public"
    )
    assert allowed.refusal("192.0.32.2") is None


def test_permit_raises_scope_error_for_an_excluded_address() -> None:
    with pytest.raises(ScopeError, match=r"^refused to send to 10.77.1.50: excluded"):
        permit(LAB, "10.77.1.50")


def test_scope_hosts_skip_exclusions_network_and_broadcast() -> None:
    small = Scope("s", ("10.77.1.0/28",), ("10.77.1.4/30",))

    assert list(small.hosts()) == [
        "10.77.1.1",
        "10.77.1.2",
        "10.77.1.3",
        *(f"10.77.1.{n}" for n in range(8, 15)),
    ]


def test_scope_split_keeps_allowed_and_explains_refused() -> None:
    allowed, refused = LAB.split(["10.77.1.10", "10.77.1.50", "1.1.1.1"])

    assert allowed == ["10.77.1.10"]
    assert refused == {
        "10.77.1.50": "excluded from site 'lincoln-es'",
        "1.1.1.1": "outside the process-wide safety net MUSTER_SAFETY_NET",
    }


def test_safety_net_outside_named_namespace_allows_only_loopback() -> None:
    net = SafetyNet(netns_prefix="mstr-no-such-namespace-")

    assert net.refusal(netaddr.IPAddress("127.0.0.9")) is None
    assert net.refusal(netaddr.IPAddress("10.77.1.10")) == (
        "this process is not inside a network namespace named mstr-no-such-namespace-*"
    )


def test_safety_net_from_environment_refuses_malformed_cidrs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUSTER_SAFETY_NET", "10.0.0.0/33")

    with pytest.raises(Exception, match=r"MUSTER_SAFETY_NET='10.0.0.0/33' is not a list of CIDRs"):
        SafetyNet.from_environment()
