"""The API as benchmarked: Muster's app plus an empty FastAPI endpoint, the peer."""

from muster.api.app import create_app
from muster.cmdb.db import Database

app = create_app(Database())


@app.get("/bench/empty")
def empty() -> dict[str, str]:
    """Do nothing: what FastAPI and uvicorn cost on their own."""
    return {}
