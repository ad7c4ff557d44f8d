"""``muster serve`` checks events and delivers them to the webhook by itself."""

import logging
import time
from collections.abc import Callable

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from muster.cmdb.db import Database
from muster.cmdb.events import list_events
from muster.tickets.background import EventJobs, add_event_jobs
from tests.reports.district import AS_OF, build_district
from tests.tickets.conftest import Receiver, received_by, webhook_settings


def _scheduler() -> BackgroundScheduler:
    scheduler = BackgroundScheduler(jobstores={"memory": {"type": "memory"}})
    scheduler.start()
    return scheduler


def _jobs_added_from_environment(
    database: Database, caplog: pytest.LogCaptureFixture
) -> tuple[EventJobs, list[str]]:
    """Add the event jobs as `muster serve` does; return what was set up and the job ids."""
    scheduler = _scheduler()
    try:
        with caplog.at_level(logging.INFO, logger="muster.tickets.background"):
            jobs = add_event_jobs(scheduler, database)
        return jobs, sorted(job.id for job in scheduler.get_jobs())
    finally:
        scheduler.shutdown(wait=True)


def test_a_running_server_checks_and_delivers_events_by_itself(
    database: Database, start_receiver: Callable[..., Receiver]
) -> None:
    build_district(database)  # marks ap-n2 missing: one asset.missing event
    url, log = start_receiver()
    scheduler = _scheduler()
    try:
        jobs = add_event_jobs(
            scheduler, database, check_every=0.2, deliver_every=0.2,
            settings=webhook_settings(url), clock=lambda: AS_OF,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while len(received_by(log)) < 7 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # a further check and delivery find nothing new
    finally:
        scheduler.shutdown(wait=True)

    received = [r["body"] for r in received_by(log)]
    with database.session() as session:
        events = list_events(session)
    assert jobs.delivering_to == url
    assert [b["type"] for b in received] == ["asset.missing"] * 2 + ["gap_line.opened"] * 5
    assert [b["id"] for b in received] == [e.id for e in events]
    assert all(e.delivered_at is not None and e.attempts == 1 for e in events)


def test_without_a_webhook_url_events_are_checked_and_wait_in_the_outbox(
    database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("MUSTER_WEBHOOK_URL", raising=False)
    jobs, ids = _jobs_added_from_environment(database, caplog)

    assert (jobs.checking, jobs.delivering_to, ids) == (True, None, ["events:check"])
    assert caplog.messages == ["no MUSTER_WEBHOOK_URL set: webhook events wait in the outbox"]


def test_a_webhook_url_without_a_secret_sends_nothing_and_says_why(
    database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MUSTER_WEBHOOK_URL", "http://127.0.0.1:9/hooks")
    monkeypatch.delenv("MUSTER_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("MUSTER_WEBHOOK_SECRET_FILE", raising=False)
    jobs, ids = _jobs_added_from_environment(database, caplog)

    assert (jobs.delivering_to, ids) == (None, ["events:check"])
    assert caplog.messages == [
        "webhook events wait in the outbox: no webhook secret: set MUSTER_WEBHOOK_SECRET, "
        "or MUSTER_WEBHOOK_SECRET_FILE to a file holding it"
    ]
