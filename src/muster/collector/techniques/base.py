"""The one contract of every technique: targets in, Observations out.

A technique is an async generator ``run(targets, context)`` that yields
Observations as it learns things. It calls ``context.permit(address)``
(the scope guard) right before sending to each address, paces its packets
with ``context.limiter``, reports each finished target with
``context.probed(n)``, and records non-fatal trouble with
``context.error(text)`` instead of raising. ``context.observation(...)``
builds an Observation stamped with the site, sweep id and collector.
"""

import logging
import shutil
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, Protocol

from muster.cmdb.observation import Observation, parse_observation
from muster.collector.credentials import SnmpCredentials
from muster.collector.ratelimit import RateLimiter
from muster.collector.scope import Scope, permit

logger = logging.getLogger(__name__)

Stage = Literal["liveness", "host"]


@dataclass
class ProbeContext:
    """What a technique needs to know and may use while it runs."""

    scope: Scope
    limiter: RateLimiter
    sweep_id: int | None = None
    collector: str = field(default_factory=socket.gethostname)
    timeout: float = 1.0
    retries: int = 1
    concurrency: int = 64
    ports: tuple[int, ...] = ()
    credentials: list[SnmpCredentials] = field(default_factory=list)
    # MACs learnt so far (by ARP), so later Observations carry the strong identifier.
    macs: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    on_probed: Callable[[int], None] | None = None

    @property
    def site(self) -> str:
        return self.scope.site

    def permit(self, address: str) -> str:
        """Check an address against the scope guard; raise ScopeError when refused."""
        return permit(self.scope, address)

    def probed(self, count: int = 1) -> None:
        """Report that ``count`` targets are done with."""
        if self.on_probed is not None:
            self.on_probed(count)

    def error(self, text: str) -> None:
        """Record a non-fatal problem; the sweep goes on and lists it at the end."""
        logger.warning("%s", text)
        self.errors.append(text)

    def observation(
        self,
        source: str,
        address: str,
        *,
        mac: str | None = None,
        identifiers: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Observation:
        """Build an Observation of the device at ``address`` from this sweep."""
        ids: dict[str, Any] = {"ips": [address], **(identifiers or {})}
        known_mac = mac or self.macs.get(address)
        if known_mac:
            ids["macs"] = sorted({known_mac, *ids.get("macs", [])})
        data: dict[str, Any] = {
            "schema": "muster.observation/1",
            "source": source,
            "observed_at": datetime.now(UTC).isoformat(),
            "site": self.site,
            "collector": self.collector,
            "identifiers": ids,
            **fields,
        }
        if self.sweep_id is not None:
            data["sweep_id"] = self.sweep_id
        return parse_observation(data, where=f"{source} observation of {address}")


class Run(Protocol):
    """A technique's entry point."""

    def __call__(
        self, targets: Sequence[str], context: ProbeContext
    ) -> AsyncIterator[Observation]: ...


@lru_cache(maxsize=1)
def raw_sockets_allowed() -> bool:
    """Tell whether this process may open raw sockets (root with CAP_NET_RAW)."""
    # Both kinds need CAP_NET_RAW; closing a packet socket waits for the
    # kernel's RCU grace period (about 10 ms), closing a raw IP one does not.
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW).close()
    except PermissionError:
        return False
    return True


@dataclass(frozen=True)
class Technique:
    """A technique as the orchestrator sees it."""

    name: str
    stage: Stage
    run: Run
    needs_root: bool = False
    needs_program: str | None = None
    summary: str = ""

    def unavailable(self) -> str | None:
        """Say why this technique cannot run here, or None when it can."""
        if self.needs_root and not raw_sockets_allowed():
            return f"{self.name} needs root (raw packets)"
        if self.needs_program and shutil.which(self.needs_program) is None:
            return f"{self.name} needs the {self.needs_program} program, which is not installed"
        return None
