"""``/api/v1/tickets``: external tickets tied to assets, requirement lines or a site's lines."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from muster.api.deps import Admin, DatabaseDep, PagingDep, Reader, ReadSession
from muster.api.problems import responses
from muster.api.schemas.common import Page
from muster.cmdb.tickets import (
    TicketLinkCreate,
    TicketLinkUpdate,
    TicketLinkView,
    get_ticket,
    link_ticket,
    list_tickets,
    unlink_ticket,
    update_ticket,
)

router = APIRouter(prefix="/tickets", tags=["tickets"])

TicketId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", responses=responses(401, 403, 404, 422))
def read_tickets(
    caller: Reader,
    session: ReadSession,
    paging: PagingDep,
    asset_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    site: Annotated[
        str | None,
        Query(min_length=1, max_length=32, description="The site's lines and its assets."),
    ] = None,
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
    """Tie a ticket to an asset, a requirement line, or a site's lines (of one kind)."""
    with database.session(writer=True) as session:
        return link_ticket(session, body)


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
        return update_ticket(session, ticket_id, body)


@router.delete("/{ticket_id}", status_code=204, responses=responses(401, 403, 404, 422))
def delete_ticket_route(ticket_id: TicketId, caller: Admin, database: DatabaseDep) -> Response:
    """Remove a ticket link."""
    with database.session(writer=True) as session:
        unlink_ticket(session, ticket_id)
    return Response(status_code=204)
