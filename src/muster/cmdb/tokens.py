"""API tokens: creating, listing, revoking and checking them.

A token's secret is 32 random bytes, shown once when it is created; only its
SHA-256 is stored, so a leaked database does not leak usable tokens. Scopes:

- ``read``: read the CMDB;
- ``ingest``: post Observations and third-party agents' inventories,
  optionally only for some sites (a bound token cannot read the CMDB);
- ``admin``: everything, including changes to sites, requirements, ticket
  links and conflicts.
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError, NotFoundError
from muster.cmdb.models import ApiToken, utcnow
from muster.cmdb.plain import PlainRead, PlainReader, PlainSelect
from muster.cmdb.sites import get_site

logger = logging.getLogger(__name__)

SECRET_PREFIX = "mst_"  # noqa: S105 (a marker that tells secrets apart, not a secret)
# Writing last-used on every request would serialise readers on SQLite's write lock.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Scope(StrEnum):
    """What a token may do."""

    READ = "read"
    INGEST = "ingest"
    ADMIN = "admin"


class TokenView(BaseModel):
    """A token as listed: everything but the secret, which is never stored."""

    id: int
    name: str
    scopes: list[str]
    sites: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class Principal(BaseModel):
    """Who is calling: a valid token's id, name, scopes and bound sites."""

    token_id: int
    name: str
    scopes: frozenset[Scope]
    sites: frozenset[str]
    last_used_at: datetime | None = None

    def allows(self, scope: Scope) -> bool:
        """Tell whether the token has this scope (admin has every scope)."""
        return scope in self.scopes or Scope.ADMIN in self.scopes

    def may_ingest_for(self, site_code: str | None) -> bool:
        """Tell whether Observations placed at this site may come from this token."""
        if not self.sites or Scope.ADMIN in self.scopes:
            return True
        return site_code is not None and site_code in self.sites


def digest_secret(secret: str) -> str:
    """Return the stored form of a token secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_scopes(texts: list[str]) -> list[Scope]:
    """Map scope names as typed to Scopes, or raise ConfigurationError listing the choices."""
    scopes: list[Scope] = []
    for text in texts:
        for part in text.split(","):
            name = part.strip().lower()
            if not name:
                continue
            try:
                scopes.append(Scope(name))
            except ValueError as exc:
                choices = ", ".join(s.value for s in Scope)
                raise ConfigurationError(f"scope {name!r} is not known: use {choices}") from exc
    if not scopes:
        raise ConfigurationError("a token needs at least one scope: read, ingest or admin")
    return sorted(set(scopes))


def create_token(
    session: Session, name: str, scopes: list[Scope], *, sites: list[str] | None = None
) -> tuple[TokenView, str]:
    """Create a token; return it and its secret, which cannot be shown again."""
    name = name.strip()
    if not name or len(name) > 64:
        raise ConfigurationError(f"token name {name!r} is not valid: give 1 to 64 characters")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise ConfigurationError(
            f"a token named {name!r} already exists: pick another name, or revoke it first "
            "with `muster token revoke`"
        )
    codes = sorted({get_site(session, code).code for code in sites or []})
    if codes and set(scopes) != {Scope.INGEST}:
        raise ConfigurationError(
            "only an ingest-only token can be bound to sites: drop --site, or give "
            "--scope ingest alone"
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        secret_sha256=digest_secret(secret),
        scopes=[s.value for s in scopes],
        sites=codes,
        created_at=utcnow(),
    )
    session.add(token)
    session.flush()
    logger.info("created API token %r with scopes %s", name, ",".join(token.scopes))
    return _view(token), secret


def list_tokens(session: Session) -> list[TokenView]:
    """Return every token, revoked ones included, by name."""
    return [_view(t) for t in session.scalars(select(ApiToken).order_by(ApiToken.name))]


def revoke_token(session: Session, name: str) -> TokenView:
    """Revoke a token by name; revoking it again changes nothing."""
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise NotFoundError(f"no token is named {name!r}: `muster token list` shows them")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        logger.info("revoked API token %r", name)
    return _view(token)


# Every request of the API runs it: a plain statement (see plain.py).
_BY_SECRET = PlainSelect(
    select(ApiToken.id, ApiToken.name, ApiToken.scopes, ApiToken.sites, ApiToken.last_used_at)
    .where(ApiToken.secret_sha256 == bindparam("digest"))
    .where(ApiToken.revoked_at.is_(None))
)


def token_read(secret: str) -> PlainRead[Principal | None]:
    """The read that finds who a secret belongs to: None when it is unknown or revoked."""
    return PlainRead(_BY_SECRET, {"digest": digest_secret(secret)}, _principal)


def authenticate(reader: PlainReader, secret: str) -> Principal | None:
    """Return who a secret belongs to, or None when it is unknown or revoked."""
    return reader.run(token_read(secret))


def _principal(rows: list[tuple[Any, ...]]) -> Principal | None:
    if not rows:
        return None
    token_id, name, scopes, sites, last_used = rows[0]
    return Principal(
        token_id=token_id,
        name=name,
        scopes=frozenset(Scope(s) for s in scopes),
        sites=frozenset(sites),
        last_used_at=last_used,
    )


def needs_touch(principal: Principal) -> bool:
    """Tell whether the token's last use is older than LAST_USED_RESOLUTION."""
    last = principal.last_used_at
    return last is None or utcnow() - last >= LAST_USED_RESOLUTION


def touch_token(session: Session, token_id: int) -> datetime:
    """Record that a token was used now; return when that was."""
    now = utcnow()
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return now


def _view(token: ApiToken) -> TokenView:
    return TokenView(
        id=token.id,
        name=token.name,
        scopes=list(token.scopes),
        sites=list(token.sites),
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )
