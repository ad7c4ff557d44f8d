"""``/health``: whether the server and its database answer. Needs no token."""

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from muster import __version__
from muster.api.deps import DatabaseDep
from muster.api.problems import responses
from muster.cmdb.errors import DatabaseError

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The server is up and its database answers."""

    status: str
    version: str


@router.get("/health", responses=responses(503))
def health(database: DatabaseDep) -> Health:
    """Tell a load balancer or a person that the server and its database work."""
    try:
        with database.session() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseError(f"the CMDB at {database.display_url} does not answer") from exc
    return Health(status="ok", version=__version__)
