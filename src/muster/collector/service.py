"""Starting sweeps for the CLI, the scheduler and the API, one per site at a time.

``SweepService`` runs sweeps in background threads (each its own asyncio
loop), refuses a second sweep of a site that is already being swept (in this
process, or in another one whose heartbeat is fresh), and hands out progress
as ``SweepView`` records read from the CMDB, so the API and the CLI see the
same numbers.
"""

import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from muster.cmdb.db import Database
from muster.cmdb.errors import ConfigurationError, MusterError, StateConflictError
from muster.cmdb.sites import get_site, sites_by_priority
from muster.collector.records import running_sweep
from muster.collector.sweep import Sweeper, SweepPlan, plan_sweep

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from muster.cmdb.views import SweepView

logger = logging.getLogger(__name__)


class SweepBusyError(StateConflictError):
    """The site is already being swept."""


def sweep_order(session: "Session", codes: Sequence[str], *, all_sites: bool) -> list[str]:
    """Return the site codes to sweep: those named, or every site with subnets by priority."""
    if not all_sites:
        return [get_site(session, code).code for code in codes]
    sites = [s for s in sites_by_priority(session) if s.subnets]
    if not sites:
        raise ConfigurationError(
            "no site has a subnet, so there is nothing to sweep: add one with "
            "`muster site add CODE --name NAME --subnet CIDR`"
        )
    return [site.code for site in sites]


def prepare_plan(database: Database, code: str, **options: Any) -> SweepPlan:
    """Plan a sweep of one site, refusing a site that has no subnet."""
    with database.session() as session:
        site = get_site(session, code)
        if not site.subnets:
            raise ConfigurationError(
                f"site {site.code!r} has no subnet, so there is nothing to sweep: add one with "
                f"`muster site add {site.code} --subnet CIDR`"
            )
        return plan_sweep(site, **options)


class SweepService:
    """Runs sweeps in the background, at most one per site."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}
        self._sweep_ids: dict[str, int | None] = {}

    def busy(self, code: str) -> int | None:
        """Return the id of the site's running sweep (0 while it starts), or None."""
        with self._lock:
            thread = self._running.get(code)
            if thread is not None and thread.is_alive():
                return self._sweep_ids.get(code) or 0
        with self.database.session(writer=True) as session:
            return running_sweep(session, get_site(session, code).id)

    def start(self, code: str, *, trigger: str = "api", **options: Any) -> SweepPlan:
        """Start sweeping a site in the background; raise SweepBusyError if it already is."""
        plan = prepare_plan(self.database, code, **options)
        with self._lock:
            thread = self._running.get(plan.site)
            if thread is not None and thread.is_alive():
                raise SweepBusyError(f"site {plan.site!r} is already being swept")
            if other := self._running_elsewhere(plan.site_id):
                raise SweepBusyError(f"site {plan.site!r} is already being swept (sweep {other})")
            self._sweep_ids[plan.site] = None
            thread = threading.Thread(
                target=self._run, args=(plan, trigger), name=f"sweep-{plan.site}", daemon=True
            )
            self._running[plan.site] = thread
            thread.start()
        return plan

    def _running_elsewhere(self, site_id: int) -> int | None:
        with self.database.session(writer=True) as session:
            return running_sweep(session, site_id)

    def _run(self, plan: SweepPlan, trigger: str) -> None:
        sweeper = Sweeper(self.database, plan, trigger=trigger)
        try:
            task = sweeper.run()
            asyncio.run(self._track(plan.site, sweeper, task))
        except Exception:
            logger.exception("background sweep of %s failed", plan.site)

    async def _track(self, code: str, sweeper: Sweeper, task: Any) -> None:
        runner = asyncio.ensure_future(task)
        while sweeper.sweep_id is None and not runner.done():
            await asyncio.sleep(0.01)
        with self._lock:
            self._sweep_ids[code] = sweeper.sweep_id
        await runner

    def wait_started(self, code: str, timeout: float = 10.0) -> int:
        """Wait until the site's background sweep has its record; return its id."""
        deadline = threading.Event()
        for _ in range(int(timeout / 0.01)):
            with self._lock:
                sweep_id = self._sweep_ids.get(code)
                thread = self._running.get(code)
            if sweep_id:
                return sweep_id
            if thread is None or not thread.is_alive():
                break
            deadline.wait(0.01)
        raise MusterError(f"the sweep of {code!r} did not start")

    def join(self, code: str, timeout: float | None = None) -> None:
        """Wait for the site's background sweep to end."""
        with self._lock:
            thread = self._running.get(code)
        if thread is not None:
            thread.join(timeout)

    def progress(self, sweep_id: int) -> "SweepView":
        """Return a sweep's record as it stands."""
        from muster.cmdb.views import get_sweep

        with self.database.session() as session:
            return get_sweep(session, sweep_id)
