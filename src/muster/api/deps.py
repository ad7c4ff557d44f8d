"""Dependencies of the routes, as ``Annotated`` aliases so handlers read like sentences.

``Reader``, ``Ingester`` and ``Admin`` are the caller's token, checked for
that scope; ``ReadSession`` is a read-only session for the request.
"""

import base64
import binascii
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from sqlalchemy.orm import Session

from muster.api.errors import (
    BasicAuthRequiredError,
    NotAuthenticatedError,
    PermissionDeniedError,
)
from muster.api.settings import ApiSettings
from muster.cmdb.db import Database
from muster.cmdb.tokens import Principal, Scope, authenticate, needs_touch, touch_token

logger = logging.getLogger(__name__)

# Declared so the OpenAPI document tells clients how to authenticate; the
# header itself is read in ``_secret`` so that both forms are accepted.
_bearer = HTTPBearer(auto_error=False, description="An API token: `muster token create`.")
_basic = HTTPBasic(
    auto_error=False, description="Third-party agents: any user name, the token as password."
)


# Dependencies that do not block are coroutines: FastAPI runs plain functions in
# its thread pool, and each hop there costs more than a look-up's queries.


async def get_database(request: Request) -> Database:
    """The CMDB the app was created with."""
    database: Database = request.app.state.database
    return database


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


def authenticate_request(request: Request, session: Session, database: Database) -> Principal:
    """Return the caller of a request, from its Bearer token or Basic password."""
    found = authenticate(session, _secret(request))
    if found is None:
        raise NotAuthenticatedError("the API token is not valid or was revoked")
    if needs_touch(found):
        with database.session(writer=True) as writer:
            touch_token(writer, found.token_id)
    return found


def principal(
    request: Request,
    session: ReadSession,
    database: DatabaseDep,
    _bearer_credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from a Bearer token (or a Basic password)."""
    return authenticate_request(request, session, database)


Authenticated = Annotated[Principal, Depends(principal)]


def agent(
    request: Request,
    session: ReadSession,
    database: DatabaseDep,
    _basic_credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Principal:
    """A third-party agent with an ingest token as its Basic password."""
    try:
        caller = authenticate_request(request, session, database)
    except NotAuthenticatedError as exc:
        # The agents send credentials only after a Basic challenge.
        raise BasicAuthRequiredError(str(exc)) from exc
    if not caller.allows(Scope.INGEST):
        raise PermissionDeniedError(f"token {caller.name!r} needs the ingest scope")
    return caller


AgentIngester = Annotated[Principal, Depends(agent)]


def _require(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(caller: Authenticated) -> Principal:
        if not caller.allows(scope):
            held = ", ".join(sorted(caller.scopes)) or "none"
            raise PermissionDeniedError(
                f"token {caller.name!r} has scopes {held}; this needs {scope.value}"
            )
        return caller

    return check


Reader = Annotated[Principal, Depends(_require(Scope.READ))]
Ingester = Annotated[Principal, Depends(_require(Scope.INGEST))]
Admin = Annotated[Principal, Depends(_require(Scope.ADMIN))]


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
