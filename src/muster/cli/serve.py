"""``muster serve``: run the REST API with uvicorn."""

import os

import typer

from muster.cli.common import console, open_database


def serve_command(
    ctx: typer.Context,
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to listen on; 0.0.0.0 for every interface."
    ),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Worker processes, e.g. one per core."
    ),
    log_level: str = typer.Option(
        "info", "--log-level", help="uvicorn's log level: warning, info or debug."
    ),
) -> None:
    """Serve the REST API (/api/v1, docs at /api/v1/docs) and the dashboard (/dashboard).

    Every route but /health needs a token: create one with `muster token create`.
    The sites' sweep schedules run here too (see `muster schedules list`), and so
    do the events: every 5 minutes stale assets are marked missing and changed gap
    lines noted, and every minute due events go to the webhook when
    MUSTER_WEBHOOK_URL and MUSTER_WEBHOOK_SECRET (or _SECRET_FILE) are set.
    """
    import uvicorn

    from muster.cmdb.db import Database
    from muster.collector.schedule import start_schedules
    from muster.tickets.background import add_event_jobs

    database = open_database(ctx)
    # Schedules and events run in this process only, however many workers serve the API.
    scheduler = start_schedules(Database(database.url))
    events = add_event_jobs(scheduler.scheduler, scheduler.service.database)
    console.print(
        f"serving {database.display_url} on http://{host}:{port}/api/v1, "
        f"dashboard at http://{host}:{port}/dashboard",
        highlight=False,
    )
    if events.delivering_to:
        console.print(f"webhook events go to {events.delivering_to}", highlight=False)
    else:
        console.print(
            "webhook not set up (MUSTER_WEBHOOK_URL, MUSTER_WEBHOOK_SECRET): "
            "events wait in the outbox",
            highlight=False,
        )
    # Each worker imports the app by name and opens its own connections.
    os.environ["MUSTER_DATABASE_URL"] = database.url
    database.dispose()
    try:
        uvicorn.run(
            "muster.api.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            http="httptools",
            loop="uvloop",
        )
    finally:
        scheduler.shutdown()
