"""Canonical MACs, hostnames and addresses, and whether each may identify a machine."""

import ipaddress
import re
from functools import lru_cache

from muster.cmdb.vendors import canonical_vendor

# OUIs that hypervisors and redundancy protocols hand out: such a MAC belongs to
# a virtual NIC or a shared gateway address, not to one piece of hardware.
VIRTUAL_OUIS: dict[str, str] = {
    "00:50:56": "VMware virtual NIC",
    "00:0c:29": "VMware virtual NIC",
    "00:05:69": "VMware virtual NIC",
    "00:1c:14": "VMware virtual NIC",
    "00:15:5d": "Hyper-V virtual NIC",
    "08:00:27": "VirtualBox virtual NIC",
    "00:16:3e": "Xen virtual NIC",
    "00:1c:42": "Parallels virtual NIC",
    "00:03:ff": "Microsoft Virtual PC NIC",
}
# (prefix, reason): VRRP, HSRP and GLBP virtual router MACs share a gateway
# address between routers.
VIRTUAL_PREFIXES: tuple[tuple[str, str], ...] = (
    ("00:00:5e:00:01:", "VRRP virtual router MAC"),
    ("00:00:5e:00:02:", "VRRP (IPv6) virtual router MAC"),
    ("00:00:0c:07:ac:", "HSRP virtual router MAC"),
    ("00:00:0c:9f:f", "HSRP v2 virtual router MAC"),
    ("00:07:b4:00:", "GLBP virtual router MAC"),
)

_HOST_LABEL = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,62}$")
_ADDRESS_CHARS = re.compile(r"^[0-9a-fA-F.:]+$")

_PLACEHOLDER_HOSTNAMES = frozenset(
    {"localhost", "localhost.localdomain", "(none)", "none", "unknown", "default", "-"}
)


# Six octets in any usual notation: 00:1a:.., 00-1A-.., 001a.2b3c.4d5e, 001a2b3c4d5e.
_MAC_SHAPE = re.compile(
    r"^(?:[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}"
    r"|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}|[0-9a-f]{12})$",
    re.IGNORECASE,
)


def canonical_mac(text: str) -> str:
    """Return a MAC in lower-case colon notation; raise ValueError when it is not a MAC."""
    candidate = text.strip()
    # netaddr alone would read "1" or "00:1b:21" as a MAC padded with zeros.
    if not _MAC_SHAPE.match(candidate):
        raise ValueError(
            f"{text!r} is not a MAC address: expected six octets such as 00:1a:2b:3c:4d:5e"
        )
    digits = re.sub(r"[^0-9a-f]", "", candidate.lower())
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


@lru_cache(maxsize=65536)
def mac_identity_problem(mac: str) -> str | None:
    """Say why a canonical MAC cannot identify a machine, or None when it can."""
    first_octet = int(mac[:2], 16)
    if mac in ("00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"):
        return "not a station address"
    if first_octet & 0x01:
        return "multicast address"
    if first_octet & 0x02:
        return "locally administered (randomised or set by software)"
    reason = VIRTUAL_OUIS.get(mac[:8])
    if reason is not None:
        return reason
    for prefix, prefix_reason in VIRTUAL_PREFIXES:
        if mac.startswith(prefix):
            return prefix_reason
    return None


def mac_vendor(mac: str) -> str | None:
    """Return the canonical vendor registered for a MAC's OUI, or None."""
    if int(mac[:2], 16) & 0x02:
        return None
    return _oui_vendor(mac[:8])


@lru_cache(maxsize=4096)
def _oui_vendor(oui: str) -> str | None:
    # netaddr loads its OUI registry on import: only look-ups pay for it, not
    # every command (the agent on each PC) that merely imports this module.
    import netaddr

    try:
        org = netaddr.EUI(oui + ":00:00:00").oui.registration().org
    except (netaddr.NotRegisteredError, IndexError):
        return None
    return canonical_vendor(str(org))


@lru_cache(maxsize=65536)
def split_hostname(text: str) -> tuple[str, str | None]:
    """Split a host name into its lower-case first label and its domain (or None)."""
    name = text.strip().rstrip(".").lower()
    host, _, domain = name.partition(".")
    if _looks_like_ip(name):
        return name, None
    return host, domain or None


@lru_cache(maxsize=65536)
def hostname_identity_problem(hostname: str) -> str | None:
    """Say why a lower-case first label cannot identify a machine, or None when it can."""
    if hostname in _PLACEHOLDER_HOSTNAMES or not hostname:
        return "placeholder host name"
    if _looks_like_ip(hostname):
        return "an address, not a name"
    if not _HOST_LABEL.match(hostname):
        # e.g. a default sysName such as "ProCurve Switch 2810-24G", shared by many devices
        return "not a host name (only letters, digits, '-' and '_' may name a host)"
    return None


@lru_cache(maxsize=65536)
def ip_identity_problem(ip: str) -> str | None:
    """Say why an address cannot identify a machine on a site, or None when it can."""
    address = ipaddress.ip_address(ip)
    if address.is_loopback:
        return "loopback address"
    if address.is_link_local:
        return "link-local address"
    if address.is_multicast or address.is_unspecified:
        return "not a host address"
    return None


def _looks_like_ip(text: str) -> bool:
    # Most names have a letter other than a-f before any dot or colon: not an address.
    if not _ADDRESS_CHARS.match(text):
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
