"""TCP connect probes of the site's port profile, with asyncio; needs no privileges.

A completed handshake is an open port (a Service); a refusal still proves the
host is alive. Each host becomes one ``tcp`` Observation listing the ports
that were open, once all its ports are tried, with what ``collector.classify``
concludes from them (a printer's 9100, Windows' 3389) and why. Connections are closed right
away without sending anything.
"""

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Sequence
from typing import Literal

from muster.cmdb.observation import Observation
from muster.collector.classify import DeviceFacts, classify
from muster.collector.scope import ScopeError
from muster.collector.techniques.base import ProbeContext, Technique

logger = logging.getLogger(__name__)

PortState = Literal["open", "closed", "filtered"]


def service_name(port: int, protocol: str = "tcp") -> str | None:
    """Return the service registered for a port in the local services file, or None."""
    try:
        return socket.getservbyport(port, protocol)
    except OSError:
        return None


async def probe_port(address: str, port: int, context: ProbeContext) -> PortState:
    """Try one TCP handshake, again on time-outs up to ``retries`` times."""
    for _attempt in range(1 + context.retries):
        await context.limiter.acquire()
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address, port), context.timeout
            )
        except TimeoutError:
            continue
        except ConnectionRefusedError:
            return "closed"
        except OSError as exc:
            logger.debug("TCP %s:%d: %s", address, port, exc)
            return "filtered"
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return "open"
    return "filtered"


async def probe_host(
    address: str, context: ProbeContext, gate: asyncio.Semaphore
) -> tuple[str, dict[int, PortState]]:
    """Probe every port of the profile on one host, within the sweep's concurrency."""

    async def one(port: int) -> tuple[int, PortState]:
        async with gate:
            return port, await probe_port(address, port, context)

    try:
        context.permit(address)
    except ScopeError as exc:
        context.error(str(exc))
        return address, {}
    results = await asyncio.gather(*(one(port) for port in context.ports))
    return address, dict(results)


def tcp_observation(
    address: str, states: dict[int, PortState], context: ProbeContext
) -> Observation:
    """Build the Observation of a host: its open ports, and what they say it is."""
    open_ports = sorted(port for port, state in states.items() if state == "open")
    services = []
    for port in open_ports:
        name = service_name(port)
        services.append({"protocol": "tcp", "port": port, **({"name": name} if name else {})})
    conclusion = classify(DeviceFacts(open_ports=frozenset(open_ports)))
    attributes = {
        name: str(value)
        for name in ("kind", "os_name")
        if (value := getattr(conclusion, name)) is not None
    }
    evidence = [e.model_dump() for e in conclusion.evidence if e.attribute in attributes]
    return context.observation(
        "tcp", address, services=services, attributes=attributes, evidence=evidence
    )


async def tcp_connect(targets: Sequence[str], context: ProbeContext) -> AsyncIterator[Observation]:
    """Yield a ``tcp`` Observation with the open ports of every target that answered."""
    if not context.ports:
        context.probed(len(targets))
        return
    gate = asyncio.Semaphore(context.concurrency)
    logger.info("TCP connect probes of %d ports on %d hosts", len(context.ports), len(targets))
    pending = [asyncio.ensure_future(probe_host(a, context, gate)) for a in targets]
    try:
        for finished in asyncio.as_completed(pending):
            address, states = await finished
            context.probed()
            if not any(state in ("open", "closed") for state in states.values()):
                continue
            yield tcp_observation(address, states, context)
    finally:
        for task in pending:
            task.cancel()


TECHNIQUE = Technique(
    name="tcp",
    stage="host",
    run=tcp_connect,
    summary="TCP connect probes of the port profile (unprivileged)",
)
