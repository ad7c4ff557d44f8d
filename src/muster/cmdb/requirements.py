"""Requirements: what a site needs, as a count of one kind with an optional minimum spec."""

import logging
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError, NotFoundError
from muster.cmdb.kinds import require_kind
from muster.cmdb.models import Requirement, Site
from muster.cmdb.sites import get_site

logger = logging.getLogger(__name__)

SPEC_FIELDS = ("min_memory_bytes", "min_cpu_cores", "os_family", "max_age_years", "note", "label")


class RequirementView(BaseModel):
    """What one site needs of one kind."""

    id: int
    site: str
    kind: str
    count: int
    min_memory_bytes: int | None
    min_cpu_cores: int | None
    os_family: str | None
    max_age_years: int | None
    note: str | None
    label: str | None = None


def _view(requirement: Requirement, site_code: str) -> RequirementView:
    return RequirementView(
        id=requirement.id,
        site=site_code,
        kind=requirement.kind,
        count=requirement.count,
        **{name: getattr(requirement, name) for name in SPEC_FIELDS},
    )


def _kind(text: str) -> str:
    try:
        return require_kind(text).value
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc


def list_requirements(
    session: Session, *, site: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[RequirementView], int]:
    """Return one page of requirements, by site code and kind, and how many match."""
    query = select(Requirement, Site.code).join(Site, Requirement.site_id == Site.id)
    if site is not None:
        query = query.where(Site.code == get_site(session, site).code)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Site.code, Requirement.kind, Requirement.id).limit(limit).offset(offset)
    )
    return [_view(requirement, code) for requirement, code in rows], total


def get_requirement(session: Session, requirement_id: int) -> RequirementView:
    """Return one requirement, or raise NotFoundError."""
    row = session.execute(
        select(Requirement, Site.code)
        .join(Site, Requirement.site_id == Site.id)
        .where(Requirement.id == requirement_id)
    ).first()
    if row is None:
        raise NotFoundError(f"requirement {requirement_id} does not exist")
    return _view(row[0], row[1])


def create_requirement(
    session: Session, *, site: str, kind: str, count: int, **spec: Any
) -> RequirementView:
    """Record that a site needs ``count`` assets of a kind, with an optional minimum spec."""
    found = get_site(session, site)
    requirement = Requirement(site_id=found.id, kind=_kind(kind), count=count)
    for name in SPEC_FIELDS:
        setattr(requirement, name, spec.get(name))
    session.add(requirement)
    session.flush()
    logger.info("site %s needs %d %s", found.code, count, requirement.kind)
    return _view(requirement, found.code)


def update_requirement(
    session: Session, requirement_id: int, changes: dict[str, Any]
) -> RequirementView:
    """Change the fields given in ``changes`` of a requirement."""
    requirement = session.get(Requirement, requirement_id)
    if requirement is None:
        raise NotFoundError(f"requirement {requirement_id} does not exist")
    if "site" in changes:
        requirement.site_id = get_site(session, changes["site"]).id
    if "kind" in changes:
        requirement.kind = _kind(changes["kind"])
    for name in ("count", *SPEC_FIELDS):
        if name in changes:
            setattr(requirement, name, changes[name])
    session.flush()
    return get_requirement(session, requirement_id)


def delete_requirement(session: Session, requirement_id: int) -> None:
    """Remove a requirement."""
    requirement = session.get(Requirement, requirement_id)
    if requirement is None:
        raise NotFoundError(f"requirement {requirement_id} does not exist")
    session.delete(requirement)
    session.flush()
