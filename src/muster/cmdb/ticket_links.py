"""Ticket links: an external ticket (system, key, URL, status) tied to an asset or a gap line.

A link names exactly one target: an asset; a requirement line; or a site
and kind, which then covers every line of that kind at the site. The same
ticket (system and key) may be linked to several targets.
"""

import logging

from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError, NotFoundError
from muster.cmdb.models import Asset, Requirement, Site, TicketLink, utcnow
from muster.cmdb.requirement_lines import parse_requirement_kind
from muster.cmdb.sites import get_site

logger = logging.getLogger(__name__)


class TicketView(BaseModel):
    """A ticket link as lists show it."""

    id: int
    system: str
    key: str
    url: str | None
    status: str | None
    asset_id: int | None
    requirement_id: int | None
    site: str | None
    kind: str | None


def link_ticket(
    session: Session,
    *,
    system: str,
    key: str,
    url: str | None = None,
    status: str | None = None,
    asset_id: int | None = None,
    requirement_id: int | None = None,
    site: str | None = None,
    kind: str | None = None,
) -> TicketLink:
    """Tie a ticket to one asset, one requirement line, or a site and kind."""
    targets = [asset_id is not None, requirement_id is not None, site is not None]
    if sum(targets) != 1 or (site is None) != (kind is None):
        raise ConfigurationError(
            "a ticket links to exactly one of: an asset (--asset), a requirement line "
            "(--requirement), or a site and kind (--site and --kind)"
        )
    if not system.strip() or not key.strip():
        raise ConfigurationError(f"ticket system {system!r} and key {key!r} must not be empty")
    link = TicketLink(system=system.strip(), key=key.strip(), url=url, status=status)
    if asset_id is not None:
        if session.get(Asset, asset_id) is None:
            raise NotFoundError(f"asset #{asset_id} does not exist")
        link.asset_id = asset_id
    elif requirement_id is not None:
        requirement = session.get(Requirement, requirement_id)
        if requirement is None:
            raise NotFoundError(
                f"requirement #{requirement_id} does not exist: `muster requirement list` "
                "shows them"
            )
        link.requirement_id, link.site_id = requirement.id, requirement.site_id
        link.kind = requirement.kind
    else:
        assert site is not None
        assert kind is not None
        link.site_id = get_site(session, site).id
        link.kind = parse_requirement_kind(kind).value
    session.add(link)
    session.flush()
    logger.info("linked ticket %s %s as #%d", link.system, link.key, link.id)
    return link


def set_ticket_status(session: Session, link_id: int, status: str) -> TicketLink:
    """Record a ticket's new status (open, in progress, closed: the ticket system's words)."""
    link = session.get(TicketLink, link_id)
    if link is None:
        raise NotFoundError(f"ticket link #{link_id} does not exist: `muster ticket list`")
    link.status = status
    link.updated_at = utcnow()
    return link


def unlink_ticket(session: Session, link_id: int) -> None:
    """Remove a ticket link."""
    link = session.get(TicketLink, link_id)
    if link is None:
        raise NotFoundError(f"ticket link #{link_id} does not exist: `muster ticket list`")
    session.delete(link)


def list_tickets(session: Session, site: str | None = None) -> list[TicketView]:
    """Return ticket links, optionally those of one site (its lines and its assets)."""
    query = (
        select(TicketLink, Site.code)
        .outerjoin(Asset, Asset.id == TicketLink.asset_id)
        .outerjoin(Site, Site.id == TicketLink.site_id)
        .order_by(TicketLink.id)
    )
    if site is not None:
        site_id = get_site(session, site).id
        query = query.where(or_(TicketLink.site_id == site_id, Asset.site_id == site_id))
    return [
        TicketView(
            id=link.id,
            system=link.system,
            key=link.key,
            url=link.url,
            status=link.status,
            asset_id=link.asset_id,
            requirement_id=link.requirement_id,
            site=code,
            kind=link.kind,
        )
        for link, code in session.execute(query)
    ]
