"""The events' background work in ``muster serve``: the check, and the webhook's delivery.

``muster events check`` and ``muster events deliver`` do the same by hand
or from cron; a running server does it by itself, so that the webhook fires
without anyone scheduling it:

- every ``CHECK_EVERY`` seconds, stale assets are marked missing and the gap
  lines that opened or closed since the last check are put in the outbox;
- every ``DELIVER_EVERY`` seconds, due events are sent, when a webhook URL
  and secret are configured (``MUSTER_WEBHOOK_URL``, ``MUSTER_WEBHOOK_SECRET``
  or ``MUSTER_WEBHOOK_SECRET_FILE``). Without a URL, events wait in the
  outbox; with a URL but no secret, the server says so at start and sends
  nothing unsigned.

The jobs live in the scheduler's memory store: they belong to this process
and are added again at every start. A job still running when its next turn
comes is not run twice (one instance at a time).
"""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler

from muster.cmdb.db import Database
from muster.cmdb.errors import ConfigurationError, MusterError
from muster.cmdb.models import utcnow
from muster.tickets.gapcheck import check
from muster.tickets.webhook import URL_ENV, WebhookSettings, deliver_pending

logger = logging.getLogger(__name__)

CHECK_EVERY = 300
DELIVER_EVERY = 60


@dataclass
class EventJobs:
    """What ``add_event_jobs`` set running."""

    checking: bool
    # None when events wait in the outbox: no webhook configured, or configured wrongly.
    delivering_to: str | None


def add_event_jobs(
    scheduler: BaseScheduler,
    database: Database,
    *,
    check_every: float = CHECK_EVERY,
    deliver_every: float = DELIVER_EVERY,
    settings: WebhookSettings | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> EventJobs:
    """Add the check and, when a webhook is configured, the delivery to a running scheduler.

    ``settings`` defaults to the environment's (``WebhookSettings.from_environment``);
    ``clock`` gives the check its "now".
    """
    scheduler.add_job(
        run_check, "interval", seconds=check_every, args=[database, clock], id="events:check",
        jobstore="memory", max_instances=1, coalesce=True, replace_existing=True,
    )  # fmt: skip
    if settings is None:
        settings = _configured_webhook()
    if settings is None:
        return EventJobs(checking=True, delivering_to=None)
    scheduler.add_job(
        run_delivery, "interval", seconds=deliver_every, args=[database, settings],
        id="events:deliver", jobstore="memory", max_instances=1, coalesce=True,
        replace_existing=True,
    )  # fmt: skip
    logger.info("webhook events go to %s every %d s", settings.url, deliver_every)
    return EventJobs(checking=True, delivering_to=settings.url)


def _configured_webhook() -> WebhookSettings | None:
    if not os.environ.get(URL_ENV):
        logger.info("no %s set: webhook events wait in the outbox", URL_ENV)
        return None
    try:
        return WebhookSettings.from_environment()
    except ConfigurationError as exc:
        logger.warning("webhook events wait in the outbox: %s", exc)
        return None


def run_check(database: Database, clock: Callable[[], datetime] = utcnow) -> int:
    """One check: mark stale assets missing, note gap lines that changed; return the events."""
    try:
        with database.session(writer=True) as session:
            missing, events = check(session, now=clock())
    except MusterError as exc:
        logger.error("events check failed: %s", exc)
        return 0
    if missing or events:
        logger.info("events check: %d assets missing, %d gap lines changed", len(missing),
                    len(events))  # fmt: skip
    return len(events)


def run_delivery(database: Database, settings: WebhookSettings) -> int:
    """Send due events; failures are retried at later runs. Return how many went."""
    report = deliver_pending(database, settings)
    for event_id, error in report.failed.items():
        logger.warning("webhook event #%d not delivered: %s", event_id, error)
    return len(report.delivered)
