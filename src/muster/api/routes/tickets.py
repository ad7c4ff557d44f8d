"""``/api/v1/tickets``: external tickets tied to assets or to a site's shortfall."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from muster.api.deps import Admin, DatabaseDep, PagingDep, Reader, ReadSession
from muster.api.problems import responses
from muster.api.schemas.common import Page
from muster.api.schemas.tickets import TicketLinkCreate, TicketLinkUpdate
from muster.cmdb.tickets import (
    TicketLinkView,
    create_ticket,
    delete_ticket,
    get_ticket,
    list_tickets,
    update_ticket,
)

router = APIRouter(prefix="/tickets", tags=["tickets"])

TicketId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", responses=responses(401, 403, 422))
def read_tickets(
    caller: Reader,
    session: ReadSession,
    paging: PagingDep,
    asset_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    site: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    system: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> Page[TicketLinkView]:
    """List ticket links by id, optionally for one asset, site or ticketing system."""
    items, total = list_tickets(
        session,
        asset_id=asset_id,
        site=site,
        system=system,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[TicketLinkView](items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post("", status_code=201, responses=responses(400, 401, 403, 404, 413, 415, 422))
def create_ticket_route(
    body: TicketLinkCreate, caller: Admin, database: DatabaseDep
) -> TicketLinkView:
    """Tie a ticket to an asset, or to a site's shortfall of a kind."""
    with database.session(writer=True) as session:
        return create_ticket(session, **body.model_dump())


@router.get("/{ticket_id}", responses=responses(401, 403, 404, 422))
def read_ticket(ticket_id: TicketId, caller: Reader, session: ReadSession) -> TicketLinkView:
    """Show one ticket link."""
    return get_ticket(session, ticket_id)


@router.patch("/{ticket_id}", responses=responses(400, 401, 403, 404, 413, 415, 422))
def update_ticket_route(
    ticket_id: TicketId, body: TicketLinkUpdate, caller: Admin, database: DatabaseDep
) -> TicketLinkView:
    """Change a ticket link's system, key, URL or status."""
    with database.session(writer=True) as session:
        return update_ticket(session, ticket_id, body.model_dump(exclude_unset=True))


@router.delete("/{ticket_id}", status_code=204, responses=responses(401, 403, 404, 422))
def delete_ticket_route(ticket_id: TicketId, caller: Admin, database: DatabaseDep) -> Response:
    """Remove a ticket link."""
    with database.session(writer=True) as session:
        delete_ticket(session, ticket_id)
    return Response(status_code=204)
