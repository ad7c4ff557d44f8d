"""The generic webhook: signed JSON POSTs of the outbox's events, retried until accepted.

Each request carries the event as its JSON body (``id``, ``type``,
``occurred_at``, ``data``; see the README) and these headers:

- ``X-Muster-Event``: the event's type, e.g. ``gap_line.opened``;
- ``X-Muster-Delivery``: the event's id, the same on every retry, so a
  receiver can drop duplicates;
- ``X-Muster-Timestamp``: Unix seconds when this attempt was signed;
- ``X-Muster-Signature``: ``sha256=`` and the hex HMAC-SHA256, keyed with the
  shared secret, of the timestamp, a ``.``, and the body's bytes.

A receiver recomputes the signature over the raw body, compares it in
constant time, and refuses timestamps more than five minutes old. Any 2xx
answer is a delivery; anything else, or no answer, is retried: a few times at
once with growing pauses, then at later runs, up to ``max_attempts``.
"""

import hashlib
import hmac
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from muster.cmdb.db import Database
from muster.cmdb.errors import ConfigurationError
from muster.cmdb.events import due_events, mark_attempt_failed, mark_delivered, prune_delivered
from muster.cmdb.models import OutboxEvent, utcnow

logger = logging.getLogger(__name__)

# Names of environment variables, not secrets.
URL_ENV = "MUSTER_WEBHOOK_URL"
SECRET_ENV = "MUSTER_WEBHOOK_SECRET"  # noqa: S105
SECRET_FILE_ENV = "MUSTER_WEBHOOK_SECRET_FILE"  # noqa: S105
SIGNATURE_PREFIX = "sha256="
KEEP_DELIVERED = timedelta(days=30)


@dataclass(frozen=True)
class WebhookSettings:
    """Where events go and how hard delivery tries."""

    url: str
    secret: bytes = field(repr=False)
    timeout: float = 10.0
    tries_per_run: int = 3
    first_pause: float = 0.5
    max_attempts: int = 12
    retry_later: timedelta = timedelta(minutes=5)

    @classmethod
    def from_environment(cls, url: str | None = None) -> "WebhookSettings":
        """Read the URL and secret from options or the environment; say what is missing."""
        url = url or os.environ.get(URL_ENV)
        if not url:
            raise ConfigurationError(f"no webhook URL: set {URL_ENV} or give --url")
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"webhook URL {url!r} is not http:// or https://")
        secret = os.environ.get(SECRET_ENV)
        if secret is None and (path := os.environ.get(SECRET_FILE_ENV)):
            try:
                secret = Path(path).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigurationError(
                    f"{SECRET_FILE_ENV} {path!r} cannot be read: {exc}"
                ) from exc
        if not secret:
            raise ConfigurationError(
                f"no webhook secret: set {SECRET_ENV}, or {SECRET_FILE_ENV} to a file holding it"
            )
        return cls(url=url, secret=secret.encode())


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The X-Muster-Signature value for a body sent at ``timestamp``."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def body_of(event: OutboxEvent) -> bytes:
    """The JSON body of an event: the stored payload with the event's id."""
    document = {"id": event.id, **event.payload}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    delivered: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def deliver_pending(database: Database, settings: WebhookSettings) -> DeliveryReport:
    """Send every due event, oldest first; stop at the first the receiver does not take.

    No transaction is held while waiting on the receiver; each outcome is
    committed as soon as it is known.
    """
    report = DeliveryReport()
    with httpx.Client(timeout=settings.timeout) as client:
        while True:
            with database.session() as session:
                batch = due_events(session, now=utcnow())
            if not batch:
                with database.session(writer=True) as session:
                    prune_delivered(session, older_than=utcnow() - KEEP_DELIVERED)
                return report
            for event in batch:
                error, attempts = _attempts(client, settings, event)
                with database.session(writer=True) as session:
                    stored = session.get(OutboxEvent, event.id)
                    assert stored is not None
                    if error:
                        mark_attempt_failed(stored, error, now=utcnow(), attempts=attempts,
                                            retry_in=settings.retry_later,
                                            max_attempts=settings.max_attempts)  # fmt: skip
                    else:
                        mark_delivered(stored, now=utcnow(), attempts=attempts)
                if error:
                    report.failed[event.id] = error
                    return report
                report.delivered.append(event.id)
                logger.info("delivered event #%d (%s)", event.id, event.type)


def _attempts(
    client: httpx.Client, settings: WebhookSettings, event: OutboxEvent
) -> tuple[str, int]:
    """Try one event a few times with growing pauses; return ('' or the last error, tries)."""
    body = body_of(event)
    pause = settings.first_pause
    error = ""
    for attempt in range(1, settings.tries_per_run + 1):
        error = _post(client, settings, event, body)
        if not error:
            return "", attempt
        logger.warning("event #%d attempt %d: %s", event.id, attempt, error)
        if attempt < settings.tries_per_run:
            time.sleep(pause)
            pause *= 2
    return error, settings.tries_per_run


def _post(client: httpx.Client, settings: WebhookSettings, event: OutboxEvent, body: bytes) -> str:
    """POST one signed attempt; return '' when accepted, else what went wrong."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "muster-webhook/1",
        "X-Muster-Event": event.type,
        "X-Muster-Delivery": str(event.id),
        "X-Muster-Timestamp": str(timestamp),
        "X-Muster-Signature": sign(settings.secret, timestamp, body),
    }
    try:
        response = client.post(settings.url, content=body, headers=headers)
    except httpx.TransportError as exc:
        return f"could not reach {settings.url}: {exc!r}"
    if response.is_success:
        return ""
    return f"{settings.url} answered {response.status_code}: {response.text[:200]!r}"
