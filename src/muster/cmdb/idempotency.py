"""Idempotency keys: a retried ingest request gets the first response, and ingests nothing.

Agents retry when a response is lost; the key they send with a batch lets the
CMDB answer the retry from what it stored, instead of ingesting it again. The
same key with a different batch is refused: the sender has a bug, and
guessing which batch it meant would lose one of them.
"""

import hashlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from muster.cmdb.errors import StateConflictError
from muster.cmdb.models import IdempotencyKey, utcnow

logger = logging.getLogger(__name__)

# Keys older than this are forgotten; a retry comes within minutes, not days.
KEY_LIFETIME = timedelta(days=7)


class IdempotencyConflictError(StateConflictError):
    """An idempotency key was reused for a different request."""


def request_digest(parts: Iterable[str]) -> str:
    """Digest of a request's content, e.g. of its Observations' content hashes in order."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode())
        hasher.update(b"\n")
    return hasher.hexdigest()


def stored_response(
    session: Session, token_id: int, key: str, digest: str
) -> dict[str, Any] | None:
    """Return the response stored for a key, None when the key is new.

    Raises IdempotencyConflictError when the key was used for another request.
    """
    row = session.execute(
        select(IdempotencyKey.request_digest, IdempotencyKey.response).where(
            IdempotencyKey.token_id == token_id, IdempotencyKey.key == key
        )
    ).first()
    if row is None:
        return None
    if row[0] != digest:
        raise IdempotencyConflictError(
            f"Idempotency-Key {key!r} was already used for a different batch: send a new key "
            "for new content, or the same content to get the first response again"
        )
    logger.info("replaying the response stored for idempotency key %r", key)
    return dict(row[1])


def store_response(
    session: Session, token_id: int, key: str, digest: str, response: dict[str, Any]
) -> None:
    """Remember a response under its key, and forget keys past their lifetime."""
    now = utcnow()
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEY_LIFETIME))
    session.add(
        IdempotencyKey(
            token_id=token_id, key=key, request_digest=digest, response=response, created_at=now
        )
    )
    session.flush()
