"""Handing a sweep's Observations to the CMDB in small batches while the sweep goes on.

Batches are ingested one at a time in a worker thread (ingest is blocking
database work) inside writer sessions, so probing never waits for the
database and the database never sees two of this sweep's batches at once.
Observations that came in while a batch was written are written right after
it, as long as a batch's worth waits: a liveness round's replies come in a
burst, and are stored while the round waits for late ones. Each batch also
records the sweep's progress and heartbeat; ``keep_up`` stores what waits
every second and beats the heartbeat in quiet stages. ``flush_now`` ingests
whatever is left synchronously: it is what an interrupted sweep calls on its
way out.

The ingest code (reconciliation, the store, the OUI registry) is loaded by
the worker thread writing the first batch, while the sweep goes on.
"""

import asyncio
import logging

from muster.cmdb.db import Database
from muster.cmdb.errors import MusterError
from muster.cmdb.observation import Observation
from muster.collector.records import beat

logger = logging.getLogger(__name__)

FLUSH_EVERY = 1.0
# Heartbeat every 30 s while nothing new comes in (records.STALE_AFTER is 2 min).
BEAT_EVERY_TICKS = 30


class Ingestor:
    """Buffers Observations and ingests them in batches of ``batch``."""

    def __init__(self, database: Database, sweep_id: int, *, batch: int = 25) -> None:
        self.database = database
        self.sweep_id = sweep_id
        self.batch = batch
        self.buffer: list[Observation] = []
        self.ingested = 0
        self.probed = 0
        self.total = 0
        self.alive = 0
        self.errors: list[str] = []
        self._running: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Observations received but not yet in the CMDB."""
        return len(self.buffer)

    async def add(self, observation: Observation) -> None:
        """Take one Observation; start ingesting a batch once enough have come."""
        self.buffer.append(observation)
        if len(self.buffer) >= self.batch:
            await self._start_batch()

    async def _start_batch(self) -> None:
        if self._running is not None and not self._running.done():
            return
        await self._collect()
        if self.buffer:
            self._running = asyncio.create_task(self._write())

    async def _write(self) -> None:
        """Ingest what waits, then again while at least a batch's worth has come meanwhile."""
        while True:
            batch, self.buffer = self.buffer, []
            await asyncio.to_thread(self._ingest, batch)
            if len(self.buffer) < self.batch:
                return

    async def keep_up(self, every: float = FLUSH_EVERY) -> None:
        """Until cancelled: store what waits, and beat the heartbeat, every ``every`` seconds.

        A sweep killed without warning (SIGKILL, power cut) so loses at most
        that much, and a long quiet stage still shows the sweep is alive.
        """
        beats = 0
        while True:
            await asyncio.sleep(every)
            beats += 1
            if self.buffer:
                await self._start_batch()
            elif beats % BEAT_EVERY_TICKS == 0 and (self._running is None or self._running.done()):
                self._running = asyncio.create_task(asyncio.to_thread(self._ingest, []))

    async def drain(self) -> None:
        """Ingest everything received so far and wait until it is stored."""
        await self._collect()
        if self.buffer:
            batch, self.buffer = self.buffer, []
            await asyncio.to_thread(self._ingest, batch)

    async def _collect(self) -> None:
        if self._running is not None:
            # A batch still being written must finish before the next starts.
            await asyncio.shield(self._running)
            self._running = None

    def flush_now(self) -> None:
        """Ingest what is left, blocking; used when a sweep ends in any way."""
        if self._running is not None and not self._running.done():
            logger.debug("sweep %d: a batch was still being written", self.sweep_id)
        batch, self.buffer = self.buffer, []
        if batch:
            self._ingest(batch)

    def _ingest(self, batch: list[Observation]) -> None:
        from muster.cmdb.ingest import ingest

        try:
            with self.database.session(writer=True) as session:
                report = ingest(session, batch) if batch else None
                beat(
                    session,
                    self.sweep_id,
                    probed=self.probed,
                    total=self.total,
                    alive=self.alive,
                    observations=self.ingested + len(batch),
                )
        except MusterError as exc:
            self.errors.append(f"{len(batch)} observations were not stored: {exc}")
            logger.error(
                "sweep %d: %d observations not stored: %s", self.sweep_id, len(batch), exc
            )
            return
        self.ingested += len(batch)
        if report is not None:
            logger.debug("sweep %d: ingested %d: %s", self.sweep_id, len(batch), report.counts())
