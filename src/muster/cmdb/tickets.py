"""Ticket links: an external ticket (system, key, URL, status) tied to an asset or a gap line.

A link names exactly one target: an asset; a requirement line; or a site,
with a kind for the site's lines of that kind, or without one for all its
lines. A link to a requirement line also records the line's site and kind.
The same ticket (system and key) may be linked to several targets. Reports,
the dashboard and the webhook's payloads show a ticket by its ``brief``.
"""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from muster.cmdb.errors import NotFoundError
from muster.cmdb.models import Asset, Site, TicketLink, utcnow
from muster.cmdb.observation import SiteCode
from muster.cmdb.requirements import NeededKind, find_requirement
from muster.cmdb.sites import get_site
from muster.cmdb.updates import Changes

logger = logging.getLogger(__name__)


SystemName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description="The ticket system, e.g. jira, glpi, zammad.", examples=["zammad"]),
]
TicketKey = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    Field(description="The ticket's key in its system.", examples=["INC-1042"]),
]
TicketUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1024),
    Field(description="Where people open the ticket."),
]
TicketStatus = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description="The ticket's status in its system's words, e.g. open, closed."),
]
RecordId = Annotated[int, Field(ge=1, le=2**31 - 1)]
_TARGETS = "an asset (asset_id), a requirement line (requirement_id), or a site (site)"


class TicketLinkCreate(BaseModel):
    """A ticket to tie to one asset, one requirement line, or a site (and kind)."""

    model_config = ConfigDict(extra="forbid")

    system: SystemName
    key: TicketKey
    url: TicketUrl | None = None
    status: TicketStatus | None = None
    asset_id: RecordId | None = None
    requirement_id: RecordId | None = None
    site: SiteCode | None = None
    kind: NeededKind | None = Field(
        None, description="With site: the site's lines of this kind; without: all its lines."
    )

    @model_validator(mode="after")
    def _one_target(self) -> "TicketLinkCreate":
        targets = ("asset_id", "requirement_id", "site")
        given = [name for name in targets if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a ticket links to exactly one of {_TARGETS}; got {' and '.join(given) or 'none'}"
            )
        if self.kind is not None and self.site is None:
            raise ValueError("kind goes with site: it names the site's lines of that kind")
        return self


class TicketLinkUpdate(Changes):
    """Changes to a ticket link: its system, key, URL or status."""

    NOT_NULL = ("system", "key")

    system: SystemName | SkipJsonSchema[None] = None
    key: TicketKey | SkipJsonSchema[None] = None
    url: TicketUrl | None = None
    status: TicketStatus | None = None


class TicketLinkView(BaseModel):
    """An external ticket and what it is about."""

    id: int
    system: str
    key: str
    url: str | None
    status: str | None
    asset_id: int | None
    requirement_id: int | None
    site: str | None = Field(description="The site of a link to a site or a requirement line.")
    kind: str | None
    created_at: datetime
    updated_at: datetime

    def brief(self) -> dict[str, str | None]:
        """The ticket as reports and webhook payloads show it."""
        return {"system": self.system, "key": self.key, "url": self.url, "status": self.status}


def _view(link: TicketLink, site_code: str | None) -> TicketLinkView:
    return TicketLinkView(
        id=link.id,
        system=link.system,
        key=link.key,
        url=link.url,
        status=link.status,
        asset_id=link.asset_id,
        requirement_id=link.requirement_id,
        site=site_code,
        kind=link.kind,
        created_at=link.created_at,
        updated_at=link.updated_at,
    )


def _query() -> Select[TicketLink, str]:
    return select(TicketLink, Site.code).outerjoin(Site, Site.id == TicketLink.site_id)


def list_tickets(
    session: Session,
    *,
    asset_id: int | None = None,
    site: str | None = None,
    system: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[list[TicketLinkView], int]:
    """Return ticket links by id (one page when ``limit`` is given) and how many match.

    ``site`` takes the links of the site's lines and of the assets at the site.
    """
    query = _query()
    if asset_id is not None:
        query = query.where(TicketLink.asset_id == asset_id)
    if site is not None:
        site_id = get_site(session, site).id
        query = query.outerjoin(Asset, Asset.id == TicketLink.asset_id).where(
            or_(TicketLink.site_id == site_id, Asset.site_id == site_id)
        )
    if system is not None:
        query = query.where(TicketLink.system == system.strip())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(TicketLink.id).limit(limit).offset(offset))
    return [_view(link, code) for link, code in rows], total


def tickets_of_assets(
    session: Session, asset_ids: Iterable[int]
) -> dict[int, list[TicketLinkView]]:
    """Return the tickets of each of some assets that have any, oldest first."""
    found: dict[int, list[TicketLinkView]] = {}
    wanted = list(asset_ids)
    if wanted:
        query = _query().where(TicketLink.asset_id.in_(wanted)).order_by(TicketLink.id)
        for link, code in session.execute(query):
            assert link.asset_id is not None
            found.setdefault(link.asset_id, []).append(_view(link, code))
    return found


def tickets_of_asset(session: Session, asset_id: int) -> list[TicketLinkView]:
    """Return the tickets tied to one asset, oldest first."""
    return tickets_of_assets(session, [asset_id]).get(asset_id, [])


def get_ticket(session: Session, link_id: int) -> TicketLinkView:
    """Return one ticket link, or raise NotFoundError."""
    row = session.execute(_query().where(TicketLink.id == link_id)).first()
    if row is None:
        raise _not_found(link_id)
    link, code = row
    return _view(link, code)


def link_ticket(session: Session, link: TicketLinkCreate) -> TicketLinkView:
    """Tie a ticket to an asset, a requirement line, or a site (and kind)."""
    row = TicketLink(system=link.system, key=link.key, url=link.url, status=link.status)
    site_code = None
    if link.asset_id is not None:
        if session.get(Asset, link.asset_id) is None:
            raise NotFoundError(f"asset #{link.asset_id} does not exist")
        row.asset_id = link.asset_id
    elif link.requirement_id is not None:
        requirement = find_requirement(session, link.requirement_id)
        row.requirement_id, row.site_id, row.kind = (
            requirement.id,
            requirement.site_id,
            requirement.kind,
        )
        site_code = session.scalar(select(Site.code).where(Site.id == requirement.site_id))
    else:
        assert link.site is not None
        site = get_site(session, link.site)
        row.site_id, site_code = site.id, site.code
        row.kind = None if link.kind is None else link.kind.value
    session.add(row)
    session.flush()
    logger.info("linked ticket %s %s as #%d", row.system, row.key, row.id)
    return _view(row, site_code)


def update_ticket(session: Session, link_id: int, changes: TicketLinkUpdate) -> TicketLinkView:
    """Change a ticket link's system, key, URL or status (the fields given)."""
    link = session.get(TicketLink, link_id)
    if link is None:
        raise _not_found(link_id)
    for name, value in changes.given().items():
        setattr(link, name, value)
    link.updated_at = utcnow()
    session.flush()
    logger.info("changed ticket link #%d: %s", link_id, changes.given())
    return get_ticket(session, link_id)


def unlink_ticket(session: Session, link_id: int) -> None:
    """Remove a ticket link."""
    link = session.get(TicketLink, link_id)
    if link is None:
        raise _not_found(link_id)
    session.delete(link)
    session.flush()
    logger.info("removed ticket link #%d", link_id)


def _not_found(link_id: int) -> NotFoundError:
    return NotFoundError(f"ticket link #{link_id} does not exist: `muster ticket list` shows them")
