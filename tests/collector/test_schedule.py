"""Sweep schedules kept in the CMDB, and the background sweep service they and the API use."""

import logging
import socket
from collections.abc import Iterator

import pytest

from muster.cmdb.db import Database
from muster.cmdb.models import Sweep, utcnow
from muster.cmdb.sites import get_site, set_sweep_settings, upsert_site
from muster.collector import schedule
from muster.collector.schedule import SweepScheduler, scheduled_sweep
from muster.collector.service import SweepBusyError, SweepService

NEVER_SOON = "0 3 1 1 *"


def add_site(database: Database, code: str, cron: str | None, **settings: object) -> int:
    with database.session(writer=True) as session:
        site = upsert_site(session, code, subnets=[f"127.0.{len(code)}.0/29"])
        set_sweep_settings(site, {"schedule": cron, **settings})
        session.flush()
        return site.id


@pytest.fixture
def scheduler(database: Database) -> Iterator[SweepScheduler]:
    running = SweepScheduler(SweepService(database))
    yield running
    running.shutdown()


def test_schedules_are_kept_in_the_cmdb_across_a_restart(
    database: Database, scheduler: SweepScheduler
) -> None:
    add_site(database, "lincoln-es", NEVER_SOON)
    first = scheduler.start()
    scheduler.shutdown()

    restarted = SweepScheduler(SweepService(Database(database.url)))
    try:
        restarted.scheduler.start(paused=True)
        views = restarted.list()
    finally:
        restarted.shutdown()

    assert [(v.site, v.schedule) for v in first] == [("lincoln-es", NEVER_SOON)]
    assert [(v.site, v.schedule, v.next_run) for v in views] == [
        ("lincoln-es", NEVER_SOON, first[0].next_run)
    ]
    assert views[0].next_run is not None
    assert (views[0].next_run.month, views[0].next_run.day, views[0].next_run.hour) == (1, 1, 3)


def test_sync_drops_the_job_of_a_site_whose_schedule_was_removed(
    database: Database, scheduler: SweepScheduler
) -> None:
    add_site(database, "lincoln-es", NEVER_SOON)
    add_site(database, "roosevelt-ms", "30 5 * * *")
    scheduler.start()
    with database.session(writer=True) as session:
        set_sweep_settings(get_site(session, "lincoln-es"), {"schedule": None})

    views = scheduler.sync()

    assert [(v.site, v.schedule) for v in views] == [("roosevelt-ms", "30 5 * * *")]


def test_schedule_firing_while_the_site_is_swept_is_skipped_and_logged(
    database: Database, scheduler: SweepScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    site_id = add_site(database, "lincoln-es", NEVER_SOON)
    with database.session(writer=True) as session:
        # Another process is sweeping the site right now.
        session.add(Sweep(site_id=site_id, status="running", heartbeat_at=utcnow()))
    scheduler.start()

    with caplog.at_level(logging.WARNING, logger="muster.collector.schedule"):
        outcome = scheduled_sweep("lincoln-es")

    assert outcome == "skipped"
    assert caplog.messages == [
        "scheduled sweep of lincoln-es skipped: site 'lincoln-es' is already being swept (sweep 1)"
    ]
    assert schedule._service is scheduler.service


def test_sweep_service_runs_a_sweep_in_the_background_and_reports_progress(
    database: Database,
) -> None:
    listener = socket.socket()
    listener.bind(("127.0.3.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    # One probe a second: the sweep is still running when it is started again.
    add_site(database, "lab", None, techniques=["tcp"], ports=[port], rate_limit=1)
    service = SweepService(database)

    try:
        service.start("lab", trigger="api")
        sweep_id = service.wait_started("lab")
        with pytest.raises(SweepBusyError, match="site 'lab' is already being swept"):
            service.start("lab")
        service.join("lab", timeout=60)
    finally:
        listener.close()

    view = service.progress(sweep_id)
    assert (view.site, view.status, view.trigger, view.targets) == ("lab", "completed", "api", 6)
    # Every loopback address answers, if only with a reset: all six are alive.
    assert (view.probed, view.total, view.alive, view.observations) == (6, 6, 6, 6)
    assert service.busy("lab") is None
