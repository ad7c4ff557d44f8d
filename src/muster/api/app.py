"""The FastAPI application: ``create_app(database, settings)``.

Routes live under ``/api/v1`` (one router per resource) and need a token,
except ``/health``. Errors are problem+json (``problems``); request bodies
are size-limited and may be gzip-compressed (``middleware``).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from muster import __version__
from muster.api import problems
from muster.api.middleware import BodyGuard
from muster.api.routes import (
    assets,
    conflicts,
    dashboard,
    health,
    inventory,
    observations,
    reports,
    requirements,
    sites,
    sweeps,
    templates,
    tickets,
)
from muster.api.settings import ApiSettings
from muster.cmdb.db import Database
from muster.cmdb.plain import AsyncReads
from muster.cmdb.tokencache import TokenCache

API_PREFIX = "/api/v1"

DESCRIPTION = """\
The CMDB of Muster: sites, assets and their history, Observations in, conflicts
to review, requirements (lines and templates) and ticket links, and the gap
report and outage view (`/api/v1/reports`) that the managers' dashboard at
`/dashboard` shows.

Every route but `/health` needs a token (`muster token create NAME --scope read`),
sent as `Authorization: Bearer TOKEN`. Scopes: `read`, `ingest` (optionally
bound to sites), `admin`. Errors are `application/problem+json` and name each
refused field with the value given.
"""


def create_app(database: Database, settings: ApiSettings | None = None) -> FastAPI:
    """Build the API over one CMDB."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # PostgreSQL: token checks and look-ups read from the event loop, and
        # valid tokens are remembered until the database says one changed.
        if database.engine.dialect.name != "postgresql":
            yield
            return
        reads = AsyncReads(database.engine)
        tokens = TokenCache(reads.conninfo)
        await reads.open()
        await tokens.open()
        app.state.reads, app.state.tokens = reads, tokens
        try:
            yield
        finally:
            del app.state.reads, app.state.tokens
            await tokens.close()
            await reads.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Muster",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.database = database
    app.state.settings = settings
    problems.install(app)
    app.add_middleware(BodyGuard, settings=settings)
    app.include_router(health.router)
    resources = (sites, assets, observations, conflicts, requirements, templates, tickets, sweeps)
    for module in resources:
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(inventory.router, prefix=API_PREFIX)
    app.include_router(reports.router, prefix=API_PREFIX)
    app.include_router(dashboard.router)
    return app
