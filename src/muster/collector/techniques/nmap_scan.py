"""Techniques that run nmap through python-nmap: SYN probes and OS/service fingerprints.

nmap is told exactly which addresses to probe (each one passed by the scope
guard first), never to resolve names (``-n``: a DNS server is outside the
scope) and never to discover hosts itself (``-Pn``: the liveness stage did
that). Hosts go in small batches so Observations reach the CMDB as each
batch ends, and each batch's packet rate is the sweep's limit.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

from muster.cmdb.observation import Observation
from muster.collector.scope import ScopeError
from muster.collector.techniques.base import ProbeContext, Technique
from muster.collector.techniques.nmapxml import nmap_observations

logger = logging.getLogger(__name__)

BATCH = 16
# -O and -sV take long on a host with many services; past this nmap gives up on it.
HOST_TIMEOUT_S = 120


def nmap_arguments(context: ProbeContext, *, fingerprint: bool) -> str:
    """Return nmap's options for a batch of this sweep."""
    options = [
        "-n",
        "-Pn",
        f"--max-rate {context.limiter.rate:g}",
        f"--max-retries {context.retries}",
        f"--host-timeout {HOST_TIMEOUT_S}s",
    ]
    if fingerprint:
        options += ["-sS", "-O", "-sV", "--version-light"]
    else:
        options.append("-sS")
    return " ".join(options)


def run_nmap(targets: Sequence[str], ports: Sequence[int], arguments: str) -> str:
    """Run nmap on the targets and return its XML report (blocking)."""
    import nmap

    scanner = nmap.PortScanner()
    port_list = ",".join(str(port) for port in ports) if ports else None
    scanner.scan(hosts=" ".join(targets), ports=port_list, arguments=arguments)
    output = scanner.get_nmap_last_output()
    return output.decode() if isinstance(output, bytes) else str(output)


async def _nmap_batches(
    targets: Sequence[str], context: ProbeContext, *, fingerprint: bool
) -> AsyncIterator[Observation]:
    allowed = []
    for address in targets:
        try:
            allowed.append(context.permit(address))
        except ScopeError as exc:
            context.error(str(exc))
            context.probed()
    arguments = nmap_arguments(context, fingerprint=fingerprint)
    for start in range(0, len(allowed), BATCH):
        batch = allowed[start : start + BATCH]
        # The limiter paces our own sockets; nmap paces itself with --max-rate.
        try:
            xml = await asyncio.to_thread(run_nmap, batch, context.ports, arguments)
        except Exception as exc:  # python-nmap raises bare PortScannerError and others
            context.error(f"nmap on {batch[0]}..{batch[-1]} failed: {exc}")
            context.probed(len(batch))
            continue
        context.probed(len(batch))
        for observation in nmap_observations(
            xml,
            site=context.site,
            sweep_id=context.sweep_id,
            collector=context.collector,
            with_services=bool(context.ports),
        ):
            yield _with_known_macs(observation, context)


def _with_known_macs(observation: Observation, context: ProbeContext) -> Observation:
    ips = observation.identifiers.ips
    known = {context.macs[ip] for ip in ips if ip in context.macs}
    if not known or known <= set(observation.identifiers.macs):
        return observation
    macs = sorted(known | set(observation.identifiers.macs))
    identifiers = observation.identifiers.model_copy(update={"macs": macs})
    return observation.model_copy(update={"identifiers": identifiers})


async def syn_probe(targets: Sequence[str], context: ProbeContext) -> AsyncIterator[Observation]:
    """Yield an ``nmap`` Observation with the open ports of each target (SYN probes)."""
    logger.info("nmap SYN probes of %d ports on %d hosts", len(context.ports), len(targets))
    async for observation in _nmap_batches(targets, context, fingerprint=False):
        yield observation


async def fingerprint(targets: Sequence[str], context: ProbeContext) -> AsyncIterator[Observation]:
    """Yield an ``nmap`` Observation with OS and service fingerprints of each target."""
    logger.info("nmap -O -sV of %d hosts", len(targets))
    async for observation in _nmap_batches(targets, context, fingerprint=True):
        yield observation


SYN = Technique(
    name="syn",
    stage="host",
    run=syn_probe,
    needs_root=True,
    needs_program="nmap",
    summary="SYN probes of the port profile through nmap (root)",
)
FINGERPRINT = Technique(
    name="nmap",
    stage="host",
    run=fingerprint,
    needs_root=True,
    needs_program="nmap",
    summary="nmap -O -sV: OS and service fingerprints",
)
