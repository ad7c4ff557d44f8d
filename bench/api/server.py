"""The API as benchmarked: the app as ASGI servers import it, and an empty endpoint, its peer."""

from muster.api.asgi import app


@app.get("/bench/empty")
def empty() -> dict[str, str]:
    """Do nothing: what FastAPI and uvicorn cost on their own."""
    return {}
