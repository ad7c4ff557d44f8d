"""One run of the agent, and the daemon that repeats it: inventory, spool, flush.

An inventory is always spooled before it is sent, and the spool is flushed
oldest first; so whatever happens to the network, the server or the agent
itself, an inventory is either acknowledged by the server or still on disk.
"""

import gzip
import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from muster.agent.build import build_observation
from muster.agent.capture import capture
from muster.agent.collect import gather_facts
from muster.agent.config import AgentSettings
from muster.agent.errors import DeliveryError, InventoryRefusedError, ServerUnavailableError
from muster.agent.spool import Spool, SpooledInventory
from muster.cmdb.errors import ConfigurationError, MusterError
from muster.cmdb.observation import Observation

if TYPE_CHECKING:
    # The HTTP side (httpx, ssl) is imported only when something is sent.
    from muster.agent.delivery import Receipt, Sender

logger = logging.getLogger(__name__)


@dataclass
class FlushReport:
    """What one flush of the spool achieved, and why it stopped if it did."""

    delivered: "list[Receipt]" = field(default_factory=list)
    rejected: int = 0
    pending: int = 0
    problem: DeliveryError | None = None
    busy: bool = False

    @property
    def replayed(self) -> int:
        """Inventories the server had already stored (a lost acknowledgement re-sent)."""
        return sum(1 for receipt in self.delivered if receipt.replayed)


def take_inventory(*, site: str | None) -> Observation:
    """Read this host and return its Observation."""
    snapshot = capture()
    started = time.perf_counter()
    observation = build_observation(
        gather_facts(snapshot), observed_at=snapshot.captured_at, site=site
    )
    logger.debug("inventory built in %.3f s", time.perf_counter() - started)
    return observation


def request_body(observation: Observation) -> bytes:
    """Return the ingest request body for one Observation: a gzip-compressed JSON array."""
    text = json.dumps([observation.to_json_dict()], separators=(",", ":"), sort_keys=True)
    return gzip.compress(text.encode(), mtime=0)


def open_spool(settings: AgentSettings) -> Spool:
    """Return the spool the settings name."""
    return Spool(
        settings.spool_dir,
        max_files=settings.spool_max_files,
        max_bytes=int(settings.spool_max_mb * 1024 * 1024),
    )


def open_sender(settings: AgentSettings) -> "Sender":
    """Return an HTTP client for the server the settings name."""
    from muster.agent.delivery import RetryPolicy, Sender

    if not settings.server:
        raise ConfigurationError(
            "no server: give --server URL, or server in the config file, or write the "
            "inventory to a file with --output FILE"
        )
    return Sender(
        settings.server,
        settings.resolve_token(),
        ca_file=settings.ca_file,
        timeout=settings.timeout,
        retry=RetryPolicy(attempts=settings.retries, base_delay=settings.retry_delay),
    )


def spool_inventory(spool: Spool, observation: Observation) -> SpooledInventory:
    """Put an inventory in the spool under its idempotency key (its content hash)."""
    return spool.put(
        request_body(observation),
        key=observation.content_hash(),
        captured_at=observation.observed_at,
    )


def flush(spool: Spool, sender: "Sender") -> FlushReport:
    """Send the spooled inventories oldest first; stop at the first that cannot be sent."""
    report = FlushReport()
    with spool.locked() as mine:
        if not mine:
            logger.info("another agent is sending this spool's inventories; leaving them to it")
            report.busy = True
            report.pending = len(spool.pending())
            return report
        for item in spool.pending():
            try:
                receipt = sender.deliver(item.body(), item.key)
            except InventoryRefusedError as exc:
                spool.reject(item, str(exc))
                report.rejected += 1
                continue
            except DeliveryError as exc:
                report.problem = exc
                break
            spool.remove(item)
            report.delivered.append(receipt)
            logger.info(
                "delivered inventory %s of %s: %s%s",
                item.key[:12],
                item.captured_at.isoformat(timespec="seconds"),
                receipt.asset or "accepted",
                " (already stored)" if receipt.replayed else "",
            )
        report.pending = len(spool.pending())
    return report


def run_daemon(settings: AgentSettings, stop: threading.Event) -> None:
    """Take an inventory every interval and keep the spool flushed, until ``stop`` is set."""
    spool = open_spool(settings)
    next_inventory = time.monotonic()
    logger.info(
        "agent daemon started: an inventory every %.0f s, spool %s",
        settings.interval,
        settings.spool_dir,
    )
    while not stop.is_set():
        if time.monotonic() >= next_inventory:
            _daemon_inventory(settings, spool)
            # Up to a tenth early, so that agents started together drift apart.
            next_inventory = time.monotonic() + settings.interval * random.uniform(0.9, 1.0)
        pending = _daemon_flush(settings, spool)
        until_inventory = next_inventory - time.monotonic()
        wait = min(until_inventory, settings.flush_interval) if pending else until_inventory
        stop.wait(max(wait, 0.0))
    logger.info("agent daemon stopped; %d inventories wait in the spool", len(spool.pending()))


def _daemon_inventory(settings: AgentSettings, spool: Spool) -> None:
    try:
        spool_inventory(spool, take_inventory(site=settings.site))
    except (MusterError, OSError) as exc:
        logger.error("inventory failed: %s; trying again next interval", exc)


def _daemon_flush(settings: AgentSettings, spool: Spool) -> int:
    if not spool.pending():
        return 0
    try:
        with open_sender(settings) as sender:
            report = flush(spool, sender)
    except MusterError as exc:
        logger.error("%s", exc)
        return len(spool.pending())
    if isinstance(report.problem, ServerUnavailableError):
        logger.warning(
            "%s; %d inventories wait in the spool for the next try",
            report.problem,
            report.pending,
        )
    elif report.problem is not None:
        logger.error("%s", report.problem)
    return report.pending
