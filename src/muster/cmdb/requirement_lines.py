"""Requirements: what each site needs, by kind and optional spec, added by hand.

A site's requirement lines are told apart by (kind, label) among the lines
added by hand, and among the lines each template made; two lines of one kind
need different labels ("classrooms", "lab"). Memory is given in GiB and
stored in bytes. Templates and the requirements file live in
``muster.cmdb.templates``; both write through ``sync_lines`` here, which
updates lines in place so ticket links and gap states survive re-applying.
"""

import logging
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError, NotFoundError
from muster.cmdb.kinds import Kind, parse_kind
from muster.cmdb.models import Requirement, RequirementTemplate, Site
from muster.cmdb.osfamily import OsFamily, parse_os_family
from muster.cmdb.sites import get_site

logger = logging.getLogger(__name__)

GIB = 1024**3
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def parse_requirement_kind(text: str) -> Kind:
    """Map a kind as typed to the vocabulary; 'unknown' cannot be required."""
    kind = parse_kind(text)
    if kind is None or kind is Kind.UNKNOWN:
        choices = ", ".join(k.value for k in Kind if k is not Kind.UNKNOWN)
        raise ConfigurationError(f"kind {text!r} cannot be required: use one of {choices}")
    return kind


def as_value_error(parse: Callable[[str], object], value: object) -> object:
    # pydantic reports ValueError with the field's name and the file's line.
    if not isinstance(value, str):
        return value
    try:
        return parse(value)
    except ConfigurationError as exc:
        raise ValueError(str(exc)) from exc


class SpecFilters(BaseModel):
    """The optional minimum spec of a line. Age is read from the firmware (BIOS) date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_memory_gb: float | None = Field(None, gt=0, description="Minimum memory in GiB.")
    min_cores: int | None = Field(None, ge=1, description="Minimum physical CPU cores.")
    os_family: OsFamily | None = Field(None, description="windows, macos, linux, ...")
    max_age_years: int | None = Field(
        None, ge=1, description="Maximum age in years, judged by the firmware date."
    )

    @field_validator("os_family", mode="before")
    @classmethod
    def _family(cls, value: object) -> object:
        return as_value_error(parse_os_family, value)

    def columns(self) -> dict[str, Any]:
        """The spec as Requirement column values."""
        memory = self.min_memory_gb
        return {
            "min_memory_bytes": None if memory is None else round(memory * GIB),
            "min_cpu_cores": self.min_cores,
            "os_family": None if self.os_family is None else self.os_family.value,
            "max_age_years": self.max_age_years,
        }


class RequirementSpec(SpecFilters):
    """One requirement line as a person gives it: a kind, a count, optional spec."""

    kind: Kind
    count: int = Field(ge=1, description="How many the site needs.")
    label: Label | None = Field(None, description="Tells lines of one kind apart.")
    note: str | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        return as_value_error(parse_requirement_kind, value)

    def line(self) -> dict[str, Any]:
        """The line as Requirement column values."""
        return {
            "kind": self.kind.value,
            "label": self.label,
            "count": self.count,
            "note": self.note,
            **self.columns(),
        }


class RequirementView(BaseModel):
    """A requirement line as lists show it."""

    id: int
    site: str
    kind: str
    label: str | None
    count: int
    spec: str = Field(description="The spec in words, e.g. '>= 8 GiB, windows'.")
    min_memory_gb: float | None
    min_cores: int | None
    os_family: str | None
    max_age_years: int | None
    template: str | None
    note: str | None


def describe_spec(
    min_memory_bytes: int | None = None,
    min_cpu_cores: int | None = None,
    os_family: str | None = None,
    max_age_years: int | None = None,
) -> str:
    """Say a spec in words, '' when the line takes any asset of its kind."""
    parts = []
    if min_memory_bytes:
        parts.append(f">= {min_memory_bytes / GIB:g} GiB")
    if min_cpu_cores:
        parts.append(f">= {min_cpu_cores} cores")
    if os_family:
        parts.append(os_family)
    if max_age_years:
        parts.append(f"<= {max_age_years} years old")
    return ", ".join(parts)


def view(requirement: Requirement, site_code: str, template: str | None) -> RequirementView:
    """Build the list view of a requirement line."""
    memory = requirement.min_memory_bytes
    return RequirementView(
        id=requirement.id,
        site=site_code,
        kind=requirement.kind,
        label=requirement.label,
        count=requirement.count,
        spec=describe_spec(
            memory, requirement.min_cpu_cores, requirement.os_family, requirement.max_age_years
        ),
        min_memory_gb=None if memory is None else round(memory / GIB, 3),
        min_cores=requirement.min_cpu_cores,
        os_family=requirement.os_family,
        max_age_years=requirement.max_age_years,
        template=template,
        note=requirement.note,
    )


def add_requirement(session: Session, site_code: str, spec: RequirementSpec) -> Requirement:
    """Add a hand-made line to a site; refuse a second line of the same kind and label."""
    site = get_site(session, site_code)
    clash = session.scalar(
        select(Requirement).where(
            Requirement.site_id == site.id,
            Requirement.template_id.is_(None),
            Requirement.kind == spec.kind.value,
            Requirement.label.is_(None) if spec.label is None else Requirement.label == spec.label,
        )
    )
    if clash is not None:
        raise ConfigurationError(
            f"site {site.code!r} already needs {clash.count} {spec.kind.value}"
            f"{f' ({spec.label})' if spec.label else ''} (requirement #{clash.id}): give "
            f"--label to add another line of this kind, or `muster requirement remove "
            f"{clash.id}` first"
        )
    requirement = Requirement(site_id=site.id, **spec.line())
    session.add(requirement)
    session.flush()
    logger.info("site %s needs %d %s (#%d)", site.code, spec.count, spec.kind, requirement.id)
    return requirement


def remove_requirement(session: Session, requirement_id: int) -> RequirementView:
    """Remove a hand-made line and return what it was; template lines go with the template."""
    requirement = session.get(Requirement, requirement_id)
    if requirement is None:
        raise NotFoundError(
            f"requirement #{requirement_id} does not exist: `muster requirement list` shows them"
        )
    site = session.get(Site, requirement.site_id)
    assert site is not None
    if requirement.template_id is not None:
        template = session.get(RequirementTemplate, requirement.template_id)
        name = template.name if template else "?"
        raise ConfigurationError(
            f"requirement #{requirement_id} comes from template {name!r}: change the template "
            f"or remove it from the site with `muster requirement template remove {name} "
            f"{site.code}`"
        )
    removed = view(requirement, site.code, None)
    session.delete(requirement)
    session.flush()
    logger.info("removed requirement #%d of site %s", requirement_id, site.code)
    return removed


def list_requirements(session: Session, site_code: str | None = None) -> list[RequirementView]:
    """Return requirement lines by site, kind and label."""
    query = (
        select(Requirement, Site.code, RequirementTemplate.name)
        .join(Site, Site.id == Requirement.site_id)
        .outerjoin(RequirementTemplate, RequirementTemplate.id == Requirement.template_id)
        .order_by(Site.code, Requirement.kind, Requirement.label, Requirement.id)
    )
    if site_code is not None:
        query = query.where(Requirement.site_id == get_site(session, site_code).id)
    return [view(r, code, template) for r, code, template in session.execute(query)]


def sync_lines(
    session: Session, site: Site, template_id: int | None, wanted: Sequence[dict[str, Any]]
) -> tuple[int, int, int]:
    """Make a site's lines of one origin (by hand, or one template) equal ``wanted``.

    Lines are matched by (kind, label) and updated in place, so their ids, and
    the tickets and gap states tied to them, survive. Returns (added, updated,
    removed).
    """
    keys = [(line["kind"], line["label"]) for line in wanted]
    duplicates = sorted(
        {f"{k} ({label or 'no label'})" for k, label in keys if keys.count((k, label)) > 1}
    )
    if duplicates:
        raise ConfigurationError(
            f"site {site.code!r} would get two lines of {', '.join(duplicates)}: give each "
            "line of one kind its own label"
        )
    origin = (
        Requirement.template_id.is_(None)
        if template_id is None
        else Requirement.template_id == template_id
    )
    existing = {
        (r.kind, r.label): r
        for r in session.scalars(select(Requirement).where(Requirement.site_id == site.id, origin))
    }
    added = updated = 0
    for line in wanted:
        current = existing.pop((line["kind"], line["label"]), None)
        if current is None:
            session.add(Requirement(site_id=site.id, template_id=template_id, **line))
            added += 1
        elif any(getattr(current, name) != value for name, value in line.items()):
            for name, value in line.items():
                setattr(current, name, value)
            updated += 1
    for stale in existing.values():
        session.delete(stale)
    session.flush()
    return added, updated, len(existing)
