"""Dependencies of the routes, as ``Annotated`` aliases so handlers read like sentences.

``Reader``, ``Ingester`` and ``Admin`` are the caller's token, checked for
that scope; ``ReadSession`` is a read-only session for the request.
``read`` runs a short read on a connection of its own, the way the token
check and the asset look-up do, from the event loop: SQLite's indexed reads
take microseconds (less than a hop to the thread pool), and PostgreSQL's
round trips are awaited on asyncio connections, so neither stalls the loop.
"""

import base64
import binascii
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBasic, HTTPBasicCredentials, HTTPBearer
from sqlalchemy.orm import Session

from muster.api.errors import (
    BasicAuthRequiredError,
    NotAuthenticatedError,
    PermissionDeniedError,
)
from muster.api.settings import ApiSettings
from muster.cmdb.db import Database
from muster.cmdb.plain import AsyncReads, PlainRead, PlainReader, run_plain
from muster.cmdb.tokencache import TokenCache
from muster.cmdb.tokens import Principal, Scope, needs_touch, token_read, touch_token

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Declared so the OpenAPI document tells third-party agents how to authenticate.
_basic = HTTPBasic(
    auto_error=False, description="Third-party agents: any user name, the token as password."
)


# Dependencies that do not block are coroutines: FastAPI runs plain functions in
# its thread pool, and each hop there costs more than a look-up's queries.


def database_of(request: Request) -> Database:
    """The CMDB the app was created with.

    Routes on the hottest paths call it directly rather than through
    ``DatabaseDep``: each dependency costs every request some microseconds.
    """
    database: Database = request.app.state.database
    return database


async def get_database(request: Request) -> Database:
    """The CMDB the app was created with, as a dependency."""
    return database_of(request)


async def get_settings(request: Request) -> ApiSettings:
    """The API's limits."""
    settings: ApiSettings = request.app.state.settings
    return settings


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


async def read_session(database: DatabaseDep) -> AsyncIterator[Session]:
    """A session for reading; it is closed when the request is done.

    A session touches the database only at its first query, which runs in
    the thread pool with the route; ending a read-only one is instant.
    """
    with database.session() as session:
        yield session


ReadSession = Annotated[Session, Depends(read_session)]


def _secret(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise NotAuthenticatedError(
                "the Basic credentials are not valid base64 of USER:TOKEN"
            ) from exc
        _user, _, password = decoded.partition(":")
        if password:
            return password
    raise NotAuthenticatedError(
        "this needs an API token: send `Authorization: Bearer TOKEN` "
        "(create one with `muster token create NAME --scope read`)"
    )


async def read(request: Request, plain: PlainRead[T]) -> T:
    """Run a read of a few indexed rows (a token check, a look-up) without blocking the loop.

    SQLite runs it on the event loop, on the loop's own connection (readers
    never wait for SQLite's writer): see ``Database.loop_readers``.
    PostgreSQL runs it from the event loop on the app's ``AsyncReads``, which
    its lifespan opens; without them (an app whose lifespan did not run), in
    the thread pool.
    """
    database = database_of(request)
    if database.loop_readers is not None:
        with database.loop_readers.reader() as reader:
            return reader.run(plain)
    reads: AsyncReads | None = getattr(request.app.state, "reads", None)
    if reads is not None:
        return await reads.run(plain)
    return await run_in_threadpool(run_plain, database.engine, PlainReader.run, plain)


def _touch(database: Database, token_id: int) -> datetime:
    with database.session(writer=True) as writer:
        return touch_token(writer, token_id)


async def authenticate_request(request: Request) -> Principal:
    """Return the caller of a request, from its Bearer token or Basic password.

    The token is checked in the database on every request, so a revoked one
    is refused at once; on PostgreSQL a valid one is remembered until any
    token changes (see ``TokenCache``). Its last use is written at most once
    a minute, in the thread pool since a write may wait for SQLite's write
    lock.
    """
    secret = _secret(request)
    tokens: TokenCache | None = getattr(request.app.state, "tokens", None)
    found = tokens.get(secret) if tokens is not None else None
    if found is None:
        generation = tokens.generation if tokens is not None else 0
        found = await read(request, token_read(secret))
        if found is None:
            raise NotAuthenticatedError("the API token is not valid or was revoked")
        if tokens is not None:
            tokens.put(secret, found, generation)
    if needs_touch(found):
        generation = tokens.generation if tokens is not None else 0
        used = await run_in_threadpool(_touch, database_of(request), found.token_id)
        found = found.model_copy(update={"last_used_at": used})
        if tokens is not None:
            tokens.put(secret, found, generation)
    return found


async def agent(
    request: Request,
    _basic_credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Principal:
    """A third-party agent with an ingest token as its Basic password."""
    try:
        caller = await authenticate_request(request)
    except NotAuthenticatedError as exc:
        # The agents send credentials only after a Basic challenge.
        raise BasicAuthRequiredError(str(exc)) from exc
    if not caller.allows(Scope.INGEST):
        raise PermissionDeniedError(f"token {caller.name!r} needs the ingest scope")
    return caller


AgentIngester = Annotated[Principal, Depends(agent)]


class TokenCheck(HTTPBearer):
    """The caller's token, checked for one scope: ``Reader``, ``Ingester`` and ``Admin``.

    Being an ``HTTPBearer``, it declares the bearer scheme in the OpenAPI
    document, and FastAPI resolves it as one dependency without any of its
    own: each dependency costs every request of the API some microseconds.
    The header is read in ``_secret``, so that a Basic password works too.
    """

    def __init__(self, scope: Scope) -> None:
        super().__init__(
            scheme_name="HTTPBearer",
            description="An API token: `muster token create`.",
            auto_error=False,
        )
        self.scope = scope

    # It returns the caller, not the credentials HTTPBearer returns.
    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        """Return the caller if its token has the scope."""
        caller = await authenticate_request(request)
        if not caller.allows(self.scope):
            held = ", ".join(sorted(caller.scopes)) or "none"
            raise PermissionDeniedError(
                f"token {caller.name!r} has scopes {held}; this needs {self.scope.value}"
            )
        return caller


Reader = Annotated[Principal, Depends(TokenCheck(Scope.READ))]
Ingester = Annotated[Principal, Depends(TokenCheck(Scope.INGEST))]
Admin = Annotated[Principal, Depends(TokenCheck(Scope.ADMIN))]


MAX_PAGE = 500


class Paging:
    """Which slice of a list to return."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")] = 50,
        offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="Items to skip.")] = 0,
    ) -> None:
        self.limit = limit
        self.offset = offset


PagingDep = Annotated[Paging, Depends()]
