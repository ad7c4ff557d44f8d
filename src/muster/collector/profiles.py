"""Named sweep profiles (which techniques run) and port profiles (which TCP ports)."""

from muster.cmdb.errors import ConfigurationError

# Techniques in the order a sweep runs them: liveness first, then per live host.
TECHNIQUES = ("arp", "icmp", "tcp", "syn", "nmap", "snmp")
LIVENESS_TECHNIQUES = frozenset({"arp", "icmp"})

PROFILES: dict[str, tuple[str, ...]] = {
    "liveness": ("arp", "icmp"),
    "quick": ("arp", "icmp", "tcp"),
    "standard": ("arp", "icmp", "tcp", "snmp"),
    "full": ("arp", "icmp", "tcp", "nmap", "snmp"),
}
DEFAULT_PROFILE = "standard"

# What answers on these tells servers, workstations and printers apart.
_COMMON_PORTS = (
    21,
    22,
    23,
    25,
    53,
    80,
    135,
    139,
    389,
    443,
    445,
    515,
    631,
    3306,
    3389,
    5432,
    5900,
    8080,
    8443,
    9100,
)
PORT_PROFILES: dict[str, tuple[int, ...]] = {
    "none": (),
    "minimal": (22, 80, 443),
    "common": _COMMON_PORTS,
    "extended": (
        *_COMMON_PORTS,
        110,
        143,
        161,
        548,
        993,
        995,
        1433,
        1521,
        2049,
        5000,
        5060,
        5985,
        8000,
        8081,
        8888,
        10000,
    ),
}
DEFAULT_PORT_PROFILE = "common"


def profile_techniques(profile: str) -> tuple[str, ...]:
    """Return the techniques of a named profile, or raise ConfigurationError listing them."""
    try:
        return PROFILES[profile]
    except KeyError as exc:
        raise ConfigurationError(
            f"profile {profile!r} is not known: use one of {', '.join(PROFILES)}"
        ) from exc


def check_techniques(names: list[str]) -> list[str]:
    """Return technique names in sweep order, or raise ConfigurationError naming a bad one."""
    for name in names:
        if name not in TECHNIQUES:
            raise ConfigurationError(
                f"technique {name!r} is not known: use some of {', '.join(TECHNIQUES)}"
            )
    return [name for name in TECHNIQUES if name in names]


def profile_ports(port_profile: str) -> tuple[int, ...]:
    """Return the ports of a named port profile, or raise ConfigurationError listing them."""
    try:
        return PORT_PROFILES[port_profile]
    except KeyError as exc:
        raise ConfigurationError(
            f"port profile {port_profile!r} is not known: use one of "
            f"{', '.join(PORT_PROFILES)}, or list ports with `ports = [22, 443]`"
        ) from exc
