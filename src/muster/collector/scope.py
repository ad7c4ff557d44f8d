"""The scope guard: the one check every technique makes before it sends anything.

A sweep may send packets only to addresses inside its site's subnets minus
the site's exclusions; public address space is refused unless the site says
``allow_public``. On top of every site's scope sits a process-wide safety
net, read from the environment once:

- ``MUSTER_SAFETY_NET``: comma-separated CIDRs; nothing outside them is ever
  sent to, whatever a site says (test runs and labs set it);
- ``MUSTER_SAFETY_NETNS``: a network namespace name prefix; when set, only
  loopback addresses may be reached unless the process runs inside a
  namespace of that name (so a lab sweep can never leave its lab).

Techniques call ``permit`` per address; the orchestrator calls ``split`` to
drop refused targets up front and report them.
"""

import ipaddress
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import netaddr

from muster.cmdb.errors import ConfigurationError, MusterError

logger = logging.getLogger(__name__)

SAFETY_NET_ENV = "MUSTER_SAFETY_NET"
SAFETY_NETNS_ENV = "MUSTER_SAFETY_NETNS"
NETNS_DIR = Path("/run/netns")
LOOPBACK = netaddr.IPSet(["127.0.0.0/8", "::1/128"])
# A sweep larger than this is almost certainly a typo (a /8 instead of a /24).
MAX_TARGETS = 65536


class ScopeError(MusterError):
    """An address is outside what this sweep may touch; nothing was sent to it."""


@dataclass(frozen=True)
class SafetyNet:
    """The process-wide limit that applies to every site's scope."""

    networks: netaddr.IPSet | None = None
    netns_prefix: str | None = None

    @classmethod
    def from_environment(cls) -> "SafetyNet":
        """Read the safety net from MUSTER_SAFETY_NET and MUSTER_SAFETY_NETNS."""
        raw = os.environ.get(SAFETY_NET_ENV, "").strip()
        networks = None
        if raw:
            try:
                networks = netaddr.IPSet(part.strip() for part in raw.split(",") if part.strip())
            except (netaddr.AddrFormatError, ValueError) as exc:
                raise ConfigurationError(
                    f"{SAFETY_NET_ENV}={raw!r} is not a list of CIDRs such as "
                    "127.0.0.0/8,10.9.0.0/16"
                ) from exc
        prefix = os.environ.get(SAFETY_NETNS_ENV, "").strip() or None
        return cls(networks, prefix)

    def refusal(self, address: netaddr.IPAddress) -> str | None:
        """Say why the safety net refuses an address, or None when it lets it through."""
        if self.networks is not None and address not in self.networks:
            return f"outside the process-wide safety net {SAFETY_NET_ENV}"
        if (
            self.netns_prefix
            and address not in LOOPBACK
            and not _in_named_netns_once(self.netns_prefix)
        ):
            return f"this process is not inside a network namespace named {self.netns_prefix}*"
        return None


_safety_net: SafetyNet | None = None


def safety_net() -> SafetyNet:
    """Return the process-wide safety net, read from the environment on first use."""
    global _safety_net
    if _safety_net is None:
        _safety_net = SafetyNet.from_environment()
    return _safety_net


def set_safety_net(net: SafetyNet | None) -> None:
    """Replace the process-wide safety net (None: read the environment again)."""
    global _safety_net
    _safety_net = net


def in_named_netns(prefix: str) -> bool:
    """Tell whether this process runs in a network namespace whose name starts with prefix."""
    try:
        mine = Path("/proc/self/ns/net").stat().st_ino
        names = [p for p in NETNS_DIR.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return False
    for path in names:
        try:
            if path.stat().st_ino == mine:
                return True
        except OSError:
            continue
    return False


@lru_cache(maxsize=8)
def _in_named_netns_once(prefix: str) -> bool:
    # A process does not change namespace while it sweeps; ask the filesystem once.
    return in_named_netns(prefix)


def is_public(address: netaddr.IPAddress) -> bool:
    """Tell whether an address is public (globally routed) space."""
    return ipaddress.ip_address(str(address)).is_global


@dataclass(frozen=True)
class Scope:
    """What one site's sweep may touch: its subnets minus exclusions."""

    site: str
    subnets: tuple[str, ...]
    exclusions: tuple[str, ...] = ()
    allow_public: bool = False
    declared: netaddr.IPSet = field(init=False, repr=False, compare=False)
    allowed: netaddr.IPSet = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        declared = netaddr.IPSet(self.subnets)
        object.__setattr__(self, "declared", declared)
        object.__setattr__(self, "allowed", declared - netaddr.IPSet(self.exclusions))

    def refusal(self, address: str | netaddr.IPAddress) -> str | None:
        """Say why this sweep may not send to an address, or None when it may."""
        try:
            ip = netaddr.IPAddress(str(address))
        except (netaddr.AddrFormatError, ValueError):
            return f"{address!r} is not an IP address"
        if reason := safety_net().refusal(ip):
            return reason
        if ip not in self.allowed:
            if ip in self.declared:
                return f"excluded from site {self.site!r}"
            return f"outside the subnets of site {self.site!r}"
        if not self.allow_public and is_public(ip):
            return f"public address space, and site {self.site!r} does not allow_public"
        return None

    def split(self, addresses: Iterable[str]) -> tuple[list[str], dict[str, str]]:
        """Split addresses into those this sweep may touch and those refused (with why)."""
        allowed: list[str] = []
        refused: dict[str, str] = {}
        for address in addresses:
            reason = self.refusal(address)
            if reason is None:
                allowed.append(str(netaddr.IPAddress(address)))
            else:
                refused[address] = reason
        return allowed, refused

    def hosts(self) -> Iterator[str]:
        """Yield every address the sweep may probe, skipping subnet and broadcast addresses."""
        edges: set[netaddr.IPAddress] = set()
        for cidr in self.subnets:
            network = netaddr.IPNetwork(cidr)
            if network.version == 4 and network.prefixlen <= 30:
                edges.update((network.network, network.broadcast))
        count = 0
        for ip in self.allowed:
            if ip in edges:
                continue
            if self.refusal(ip) is None:
                count += 1
                if count > MAX_TARGETS:
                    raise ConfigurationError(
                        f"site {self.site!r} has more than {MAX_TARGETS} addresses to sweep: "
                        "give narrower subnets or exclude ranges"
                    )
                yield str(ip)


def permit(scope: Scope, address: str) -> str:
    """Return the address when this sweep may send to it; raise ScopeError otherwise.

    Every technique calls this for each address right before sending to it.
    """
    reason = scope.refusal(address)
    if reason is not None:
        logger.warning("refused to send to %s: %s", address, reason)
        raise ScopeError(f"refused to send to {address}: {reason}")
    return address
