"""Sending one inventory to the Muster API, retried with exponential backoff and jitter.

The contract, ``POST {server}/api/v1/observations``:

- body: a JSON array of Observations, gzip-compressed (``Content-Encoding: gzip``);
- headers: ``Authorization: Bearer <token>`` and ``Idempotency-Key: <key>``, the
  key being the Observation's content hash, so the same inventory sent twice
  is stored once (the server answers a replay with the stored answer);
- 200: ``{"decisions": [...], "counts": {...}, "replayed": bool}``;
- 401/403: wrong token; 413/422: never accepted; 408/429/5xx: try later.

TLS certificates are verified unless the server is plain ``http://``; a
private CA is given with ``ca_file``. httpx's exceptions are translated here
into the agent's own (``muster.agent.errors``), most specific first.
"""

import email.utils
import ipaddress
import logging
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from muster import __version__
from muster.agent.errors import (
    InventoryRefusedError,
    ServerUnavailableError,
    TlsError,
    TokenRejectedError,
    UnexpectedAnswerError,
)
from muster.cmdb.errors import ConfigurationError

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger(__name__)

API_PATH = "/api/v1/observations"
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry an unavailable server within one run."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``attempt`` (from 0): doubling, jittered, capped."""
        ceiling = min(self.max_delay, self.base_delay * 2**attempt)
        # Jitter spreads the agents of a district that all lost the server at once.
        wait = random.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait


@dataclass(frozen=True, slots=True)
class Receipt:
    """The server's acknowledgement of one inventory."""

    key: str
    replayed: bool
    counts: dict[str, int] = field(default_factory=dict)
    asset: str | None = None


def endpoint(server: str) -> str:
    """Return the ingest URL of a server given as its base URL (or as the full URL)."""
    parts = urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"server {server!r} is not a URL: expected https://HOST[:PORT], e.g. "
            "https://muster.example.org"
        )
    base = server.strip().rstrip("/")
    return base if base.endswith(API_PATH) else base + API_PATH


class Sender:
    """An HTTP client for the ingest endpoint, with the agent's token and retry policy."""

    def __init__(
        self,
        server: str,
        token: str,
        *,
        ca_file: Path | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self.url = endpoint(server)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._warn_if_plain_http()
        self._client = httpx.Client(
            timeout=timeout,
            verify=_tls_context(ca_file),
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": f"muster-agent/{__version__}",
            },
        )

    def __enter__(self) -> "Sender":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._client.close()

    def deliver(self, body: bytes, key: str) -> Receipt:
        """Send one inventory, retrying an unavailable server; raise DeliveryError if not."""
        for attempt in range(self.retry.attempts):
            try:
                return self.send_once(body, key)
            except ServerUnavailableError as exc:
                if attempt + 1 >= self.retry.attempts:
                    raise
                wait = self.retry.delay(attempt, exc.retry_after)
                logger.warning(
                    "%s; trying again in %.1f s (attempt %d of %d)",
                    exc,
                    wait,
                    attempt + 2,
                    self.retry.attempts,
                )
                self._sleep(wait)
        raise AssertionError("unreachable: the loop returns or raises")

    def send_once(self, body: bytes, key: str) -> Receipt:
        """POST one gzip-compressed inventory once and interpret the answer."""
        import httpx

        headers = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Idempotency-Key": key,
        }
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.ConnectError as exc:
            if _is_certificate_error(exc):
                raise TlsError(
                    f"the TLS certificate of {self.url} could not be verified ({exc}): give "
                    "the CA that signed it with --ca-file or ca_file in the config file"
                ) from exc
            raise ServerUnavailableError(f"cannot connect to {self.url}: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise ServerUnavailableError(f"{self.url} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise ServerUnavailableError(f"connection to {self.url} failed: {exc!r}") from exc
        return self._receipt(response, key)

    def _receipt(self, response: "httpx.Response", key: str) -> Receipt:
        status = response.status_code
        if status in (401, 403):
            raise TokenRejectedError(
                f"the server at {self.url} refused the token (HTTP {status}): check --token, "
                "--token-file or the config file; nothing was lost, the inventories stay in "
                "the spool until the token is right"
            )
        if status in (413, 422):
            raise InventoryRefusedError(
                f"the server refused inventory {key[:12]} for good (HTTP {status}): "
                f"{_detail(response)}"
            )
        if status in _RETRY_STATUSES or status >= 500:
            raise ServerUnavailableError(
                f"{self.url} answered HTTP {status}", retry_after=_retry_after(response)
            )
        if status != 200:
            raise UnexpectedAnswerError(
                f"{self.url} answered HTTP {status}, which the ingest contract does not "
                f"describe: {_detail(response)}; the inventory is kept"
            )
        return _parse_receipt(response, key, self.url)

    def _warn_if_plain_http(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
            logger.warning(
                "sending the token and inventory to %s over plain HTTP; use https:// so "
                "neither can be read on the way",
                self.url,
            )


def _parse_receipt(response: "httpx.Response", key: str, url: str) -> Receipt:
    try:
        answer = response.json()
        replayed = answer["replayed"]
        counts = answer["counts"]
        decisions = answer["decisions"]
    except (ValueError, KeyError, TypeError) as exc:
        # A captive portal or a proxy's page is not an acknowledgement.
        raise UnexpectedAnswerError(
            f"{url} answered 200 without the ingest answer ({exc!r}); the inventory is kept"
        ) from exc
    if not isinstance(replayed, bool) or not isinstance(counts, dict):
        raise UnexpectedAnswerError(f"{url} answered 200 with a malformed ingest answer")
    first = decisions[0] if isinstance(decisions, list) and decisions else {}
    asset = first.get("asset") if isinstance(first, dict) else None
    return Receipt(key=key, replayed=replayed, counts=counts, asset=asset)


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            f"CA file {str(ca_file)!r} cannot be used: {exc}; give a PEM file of the CA "
            "that signed the server's certificate"
        ) from exc


def _is_certificate_error(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _retry_after(response: "httpx.Response") -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _detail(response: "httpx.Response") -> str:
    try:
        problem: Any = response.json()
    except ValueError:
        return response.text[:300] or "(no explanation given)"
    if isinstance(problem, dict):
        for name in ("detail", "title", "message"):
            if problem.get(name):
                return str(problem[name])[:300]
    return str(problem)[:300]
