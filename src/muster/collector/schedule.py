"""Per-site sweep schedules, run by APScheduler with its jobs kept in the CMDB database.

Each site with a ``schedule`` (a cron expression, local time) has one job,
``sweep:<code>``, in the ``apscheduler_jobs`` table of the CMDB, so a restart
of ``muster serve`` loses none and runs a missed one once (coalesced) if it
is no more than ``MISFIRE_GRACE`` late. Schedules changed in the CMDB (by
the API, the CLI or a configuration file) are picked up every
``SYNC_EVERY`` seconds. A job that fires while the same
site's sweep still runs (started by hand, by the API, or by an earlier
firing) is skipped and logged, not queued.
"""

import logging
from datetime import datetime
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel

from muster.cmdb.db import Database
from muster.cmdb.models import ScheduledJob
from muster.cmdb.sites import list_sites
from muster.collector.service import SweepBusyError, SweepService

logger = logging.getLogger(__name__)

JOB_PREFIX = "sweep:"
MISFIRE_GRACE = 3600
SYNC_EVERY = 60

# The service scheduled jobs use; jobs are stored by reference, so they find it here.
_service: SweepService | None = None


class ScheduleView(BaseModel):
    """A site's scheduled sweep."""

    site: str
    schedule: str
    next_run: datetime | None


def scheduled_sweep(code: str) -> str:
    """Start a site's scheduled sweep; skip it when the site is already being swept."""
    if _service is None:
        logger.error("scheduled sweep of %s fired with no sweep service running", code)
        return "no service"
    try:
        _service.start(code, trigger="schedule")
    except SweepBusyError as exc:
        logger.warning("scheduled sweep of %s skipped: %s", code, exc)
        return "skipped"
    logger.info("scheduled sweep of %s started", code)
    return "started"


class SweepScheduler:
    """Keeps one job per scheduled site in the CMDB and runs them in the background."""

    def __init__(self, service: SweepService) -> None:
        self.service = service
        store = SQLAlchemyJobStore(
            engine=service.database.engine, tablename=ScheduledJob.__tablename__
        )
        self.scheduler = BackgroundScheduler(
            # Scheduled sweeps persist in the CMDB; the re-sync job is this process's own.
            jobstores={"default": store, "memory": MemoryJobStore()},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE,
            },
        )

    def start(self) -> list[ScheduleView]:
        """Start running schedules (after syncing them with the sites); return them."""
        global _service
        _service = self.service
        self.scheduler.start()
        # Schedules changed through the API or the CLI are picked up within a minute.
        self.scheduler.add_job(
            self.sync, "interval", seconds=SYNC_EVERY, id="sync", jobstore="memory"
        )
        return self.sync()

    def sync(self) -> list[ScheduleView]:
        """Make the jobs match the sites' schedules: add, change and remove jobs."""
        with self.service.database.session() as session:
            wanted = {s.code: s.schedule for s in list_sites(session) if s.schedule}
        for job in self.scheduler.get_jobs():
            code = job.id.removeprefix(JOB_PREFIX)
            if job.id.startswith(JOB_PREFIX) and code not in wanted:
                job.remove()
                logger.info("removed the schedule of %s", code)
        for code, expression in wanted.items():
            self._put(code, expression)
        return self.list()

    def _put(self, code: str, expression: str) -> None:
        job_id = JOB_PREFIX + code
        trigger = CronTrigger.from_crontab(expression)
        existing = self.scheduler.get_job(job_id)
        if existing is not None and str(existing.trigger) == str(trigger):
            return
        self.scheduler.add_job(
            scheduled_sweep,
            trigger,
            args=[code],
            id=job_id,
            name=f"sweep {code} at {expression}",
            replace_existing=True,
        )
        logger.info("scheduled sweeps of %s at %r", code, expression)

    def list(self) -> list[ScheduleView]:
        """Return the scheduled sweeps and when each runs next."""
        views = []
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX):
                views.append(
                    ScheduleView(
                        site=job.id.removeprefix(JOB_PREFIX),
                        schedule=_expression(job),
                        next_run=job.next_run_time,
                    )
                )
        return sorted(views, key=lambda v: v.site)

    def shutdown(self) -> None:
        """Stop firing jobs; running sweeps go on in their threads."""
        global _service
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        _service = None


def _expression(job: Any) -> str:
    name = str(job.name)
    return name.rsplit(" at ", 1)[-1].strip("'") if " at " in name else str(job.trigger)


def start_schedules(database: Database) -> SweepScheduler:
    """Start the scheduler of a ``muster serve`` process; the caller shuts it down."""
    scheduler = SweepScheduler(SweepService(database))
    views = scheduler.start()
    logger.info("running %d sweep schedules", len(views))
    return scheduler
