"""The sweep orchestrator: one site, its techniques, Observations into the CMDB as they come.

A sweep is planned from the site (scope, techniques, ports, credentials,
rate limit), then run in two stages: the liveness techniques (ARP on
attached segments, ICMP on routed ones) over every address in scope, then
the host techniques (TCP or SYN probes, nmap fingerprints, SNMP) over the
hosts found alive. Techniques of a stage run side by side, sharing one
packet-rate limit. Observations are ingested in small batches while the
sweep goes on, so a sweep stopped half-way keeps what it found and is
recorded as interrupted.
"""

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from muster.cmdb.db import Database
from muster.cmdb.models import Site
from muster.cmdb.observation import Observation
from muster.collector import profiles
from muster.collector.credentials import SnmpCredentials, resolve_credentials
from muster.collector.ingestor import Ingestor
from muster.collector.ratelimit import RateLimiter
from muster.collector.records import finish_sweep, start_sweep
from muster.collector.scope import Scope
from muster.collector.techniques import REGISTRY
from muster.collector.techniques.base import ProbeContext, raw_sockets_allowed

logger = logging.getLogger(__name__)


class SweepProgress(Protocol):
    """Where a running sweep reports how far it is."""

    def stage(self, name: str, total: int) -> None: ...

    def advance(self, count: int) -> None: ...

    def found(self, alive: int, observations: int) -> None: ...


class QuietProgress:
    """Progress that goes nowhere (schedules, tests)."""

    def stage(self, name: str, total: int) -> None:
        logger.debug("stage %s: %d to probe", name, total)

    def advance(self, count: int) -> None:
        return None

    def found(self, alive: int, observations: int) -> None:
        return None


@dataclass
class SweepPlan:
    """What a sweep of one site will do, decided before it sends anything."""

    site_id: int
    site: str
    scope: Scope
    targets: list[str]
    refused: dict[str, str]
    techniques: list[str]
    skipped: dict[str, str]
    ports: tuple[int, ...]
    rate_limit: int
    credentials: list[SnmpCredentials] = field(default_factory=list, repr=False)
    problems: list[str] = field(default_factory=list)
    timeout: float = 1.0
    retries: int = 1
    concurrency: int = 128


def choose_techniques(
    techniques: Sequence[str] | None, profile: str
) -> tuple[list[str], dict[str, str]]:
    """Return the techniques this host can run, and why the others are skipped.

    Explicit ``techniques`` win over the ``profile``; a profile's "tcp" means
    SYN probes through nmap when run as root with nmap installed.
    """
    wanted = list(techniques or profiles.profile_techniques(profile))
    if (
        techniques is None
        and "tcp" in wanted
        and raw_sockets_allowed()
        and shutil.which("nmap") is not None
    ):
        wanted[wanted.index("tcp")] = "syn"
    chosen, skipped = [], {}
    for name in profiles.check_techniques(wanted):
        reason = REGISTRY[name].unavailable()
        if reason is None:
            chosen.append(name)
        else:
            skipped[name] = reason
    return chosen, skipped


def plan_sweep(
    site: Site,
    *,
    targets: Sequence[str] | None = None,
    techniques: Sequence[str] | None = None,
    timeout: float = 1.0,
    retries: int = 1,
    concurrency: int = 128,
) -> SweepPlan:
    """Plan a sweep of a site: which addresses, which techniques, what is refused."""
    scope = Scope(
        site.code,
        tuple(s.cidr for s in site.subnets),
        tuple(e.cidr for e in site.exclusions),
        site.allow_public,
    )
    allowed, refused = scope.split(targets) if targets is not None else (list(scope.hosts()), {})
    chosen, skipped = choose_techniques(techniques or site.techniques, site.profile)
    credentials, problems = resolve_credentials(list(site.snmp_credentials))
    ports = tuple(site.ports) if site.ports else profiles.profile_ports(site.port_profile)
    return SweepPlan(
        site_id=site.id,
        site=site.code,
        scope=scope,
        targets=allowed,
        refused=refused,
        techniques=chosen,
        skipped=skipped,
        ports=ports,
        rate_limit=site.rate_limit,
        credentials=credentials,
        problems=problems,
        timeout=timeout,
        retries=retries,
        concurrency=concurrency,
    )


@dataclass
class SweepResult:
    """How a sweep ended."""

    sweep_id: int
    status: str
    alive: list[str]
    observations: int
    errors: list[str]


async def _merge(streams: list[AsyncIterator[Observation]]) -> AsyncIterator[Observation]:
    """Yield from several async iterators as their items arrive."""
    queue: asyncio.Queue[Observation | None] = asyncio.Queue()

    async def pump(stream: AsyncIterator[Observation]) -> None:
        try:
            async for item in stream:
                await queue.put(item)
        finally:
            await queue.put(None)

    tasks = [asyncio.create_task(pump(stream)) for stream in streams]
    try:
        running = len(tasks)
        while running:
            item = await queue.get()
            if item is None:
                running -= 1
            else:
                yield item
        for task in tasks:
            task.result()
    finally:
        for task in tasks:
            task.cancel()


class Sweeper:
    """Runs one planned sweep and records it."""

    def __init__(
        self,
        database: Database,
        plan: SweepPlan,
        *,
        progress: SweepProgress | None = None,
        trigger: str = "cli",
        batch: int = 25,
    ) -> None:
        self.database = database
        self.plan = plan
        self.progress = progress or QuietProgress()
        self.trigger = trigger
        self.batch = batch
        self.alive: dict[str, None] = {}
        self._target_set = frozenset(plan.targets)
        self.sweep_id: int | None = None

    async def run(self) -> SweepResult:
        """Sweep, ingesting as it goes; on cancellation keep what was found and re-raise."""
        plan = self.plan
        self.sweep_id = await asyncio.to_thread(
            start_sweep,
            self.database,
            plan.site_id,
            techniques=plan.techniques,
            targets=len(plan.targets),
            trigger=self.trigger,
        )
        context = self._context()
        ingestor = Ingestor(self.database, self.sweep_id, batch=self.batch)
        errors = [f"skipped {name}: {why}" for name, why in plan.skipped.items()]
        errors += plan.problems
        errors += [f"refused {address}: {why}" for address, why in plan.refused.items()]
        status = "failed"
        keeping_up = asyncio.create_task(ingestor.keep_up())
        try:
            await self._stages(context, ingestor)
            status = "completed"
        except (asyncio.CancelledError, KeyboardInterrupt):
            status = "interrupted"
            raise
        except Exception as exc:
            logger.exception("sweep %s of %s failed", self.sweep_id, plan.site)
            errors.append(f"sweep failed: {exc}")
        finally:
            keeping_up.cancel()
            ingestor.flush_now()
            errors += context.errors + ingestor.errors
            self._finish(status, ingestor, errors)
        return SweepResult(self.sweep_id, status, list(self.alive), ingestor.ingested, errors)

    def _finish(self, status: str, ingestor: Ingestor, errors: list[str]) -> None:
        assert self.sweep_id is not None
        finish_sweep(
            self.database,
            self.sweep_id,
            status=status,
            alive=len(self.alive),
            observations=ingestor.ingested,
            probed=ingestor.probed,
            total=ingestor.total,
            errors=errors,
        )

    def _context(self) -> ProbeContext:
        plan = self.plan
        return ProbeContext(
            scope=plan.scope,
            limiter=RateLimiter(plan.rate_limit),
            sweep_id=self.sweep_id,
            timeout=plan.timeout,
            retries=plan.retries,
            concurrency=plan.concurrency,
            ports=plan.ports,
            credentials=plan.credentials,
        )

    async def _stages(self, context: ProbeContext, ingestor: Ingestor) -> None:
        plan = self.plan
        liveness = [n for n in plan.techniques if REGISTRY[n].stage == "liveness"]
        hosts = [n for n in plan.techniques if REGISTRY[n].stage == "host"]
        if liveness:
            streams = self._liveness_streams(liveness, context)
            await self._stage("liveness", streams, context, ingestor)
            targets = list(self.alive)
        else:
            targets = plan.targets
        if hosts and targets:
            host_streams = [(REGISTRY[n].run(targets, context), len(targets)) for n in hosts]
            await self._stage("hosts", host_streams, context, ingestor)

    def _liveness_streams(
        self, names: list[str], context: ProbeContext
    ) -> list[tuple[AsyncIterator[Observation], int]]:
        targets = self.plan.targets
        if "arp" in names:
            from muster.collector.techniques.arp import attached_segments

            attached = {a for group in attached_segments(targets).values() for a in group}
            arp_targets = [a for a in targets if a in attached]
            icmp_targets = [a for a in targets if a not in attached]
        else:
            arp_targets, icmp_targets = [], targets
        streams = []
        if "arp" in names and arp_targets:
            streams.append((REGISTRY["arp"].run(arp_targets, context), len(arp_targets)))
        if "icmp" in names and icmp_targets:
            streams.append((REGISTRY["icmp"].run(icmp_targets, context), len(icmp_targets)))
        return streams

    async def _stage(
        self,
        name: str,
        streams: list[tuple[AsyncIterator[Observation], int]],
        context: ProbeContext,
        ingestor: Ingestor,
    ) -> None:
        total = sum(count for _stream, count in streams)
        ingestor.total += total
        self.progress.stage(name, total)

        def probed(count: int) -> None:
            ingestor.probed += count
            self.progress.advance(count)

        context.on_probed = probed
        in_scope = self._target_set
        async for observation in _merge([stream for stream, _count in streams]):
            for address in observation.identifiers.ips:
                if address in in_scope:
                    self.alive.setdefault(address)
            await ingestor.add(observation)
            ingestor.alive = len(self.alive)
            self.progress.found(len(self.alive), ingestor.ingested + ingestor.pending)
        await ingestor.drain()
