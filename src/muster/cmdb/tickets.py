"""Ticket links: an external ticket tied to an asset, or to a gap line (a site and a kind).

A link names its ticketing system and the ticket's key there; it points at
exactly one of an asset or a site (with an optional kind, for a shortfall).
"""

import logging
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError, NotFoundError
from muster.cmdb.kinds import Kind, parse_kind
from muster.cmdb.models import Asset, Site, TicketLink, utcnow
from muster.cmdb.sites import get_site

logger = logging.getLogger(__name__)


class TicketLinkView(BaseModel):
    """An external ticket and what it is about."""

    id: int
    system: str
    key: str
    url: str | None
    status: str | None
    asset_id: int | None
    site: str | None
    kind: str | None
    created_at: datetime
    updated_at: datetime


def _view(link: TicketLink, site_code: str | None) -> TicketLinkView:
    return TicketLinkView(
        id=link.id,
        system=link.system,
        key=link.key,
        url=link.url,
        status=link.status,
        asset_id=link.asset_id,
        site=site_code,
        kind=link.kind,
        created_at=link.created_at,
        updated_at=link.updated_at,
    )


def _query() -> Any:
    return select(TicketLink, Site.code).outerjoin(Site, TicketLink.site_id == Site.id)


def tickets_of_asset(session: Session, asset_id: int) -> list[TicketLinkView]:
    """Return the tickets tied to one asset, oldest first."""
    rows = session.execute(_query().where(TicketLink.asset_id == asset_id).order_by(TicketLink.id))
    return [_view(link, code) for link, code in rows]


def list_tickets(
    session: Session,
    *,
    asset_id: int | None = None,
    site: str | None = None,
    system: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[TicketLinkView], int]:
    """Return one page of ticket links, by id, and how many match in all."""
    query = _query()
    if asset_id is not None:
        query = query.where(TicketLink.asset_id == asset_id)
    if site is not None:
        query = query.where(Site.code == site.lower())
    if system is not None:
        query = query.where(TicketLink.system == system)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(TicketLink.id).limit(limit).offset(offset))
    return [_view(link, code) for link, code in rows], total


def get_ticket(session: Session, link_id: int) -> TicketLinkView:
    """Return one ticket link, or raise NotFoundError."""
    row = session.execute(_query().where(TicketLink.id == link_id)).first()
    if row is None:
        raise NotFoundError(f"ticket link {link_id} does not exist")
    return _view(row[0], row[1])


def _target(
    session: Session, asset_id: int | None, site: str | None, kind: str | None
) -> tuple[int | None, int | None, str | None, str | None]:
    """Check what a link points at; return asset id, site id, site code and kind."""
    if (asset_id is None) == (site is None):
        raise ConfigurationError(
            "a ticket link points at an asset (asset_id) or at a site's shortfall "
            "(site, optionally kind), not both and not neither"
        )
    if asset_id is not None:
        if kind is not None:
            raise ConfigurationError("kind goes with site, not with asset_id")
        if session.get(Asset, asset_id) is None:
            raise NotFoundError(f"asset {asset_id} does not exist")
        return asset_id, None, None, None
    assert site is not None
    found = get_site(session, site)
    kind_value = None
    if kind is not None:
        parsed = parse_kind(kind)
        if parsed is None:
            choices = ", ".join(k.value for k in Kind)
            raise ConfigurationError(f"kind {kind!r} is not known: use one of {choices}")
        kind_value = parsed.value
    return None, found.id, found.code, kind_value


def create_ticket(
    session: Session,
    *,
    system: str,
    key: str,
    url: str | None = None,
    status: str | None = None,
    asset_id: int | None = None,
    site: str | None = None,
    kind: str | None = None,
) -> TicketLinkView:
    """Tie an external ticket to an asset or to a site's shortfall."""
    target_asset, site_id, site_code, kind_value = _target(session, asset_id, site, kind)
    now = utcnow()
    link = TicketLink(
        system=system,
        key=key,
        url=url,
        status=status,
        asset_id=target_asset,
        site_id=site_id,
        kind=kind_value,
        created_at=now,
        updated_at=now,
    )
    session.add(link)
    session.flush()
    logger.info("linked ticket %s %s to link %d", system, key, link.id)
    return _view(link, site_code)


def update_ticket(session: Session, link_id: int, changes: dict[str, Any]) -> TicketLinkView:
    """Change a ticket link's key, URL or status (the fields given in ``changes``)."""
    link = session.get(TicketLink, link_id)
    if link is None:
        raise NotFoundError(f"ticket link {link_id} does not exist")
    for name in ("system", "key", "url", "status"):
        if name in changes:
            setattr(link, name, changes[name])
    link.updated_at = utcnow()
    session.flush()
    return get_ticket(session, link_id)


def delete_ticket(session: Session, link_id: int) -> None:
    """Remove a ticket link."""
    link = session.get(TicketLink, link_id)
    if link is None:
        raise NotFoundError(f"ticket link {link_id} does not exist")
    session.delete(link)
    session.flush()
