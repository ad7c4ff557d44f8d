"""Requirements: what each site needs, as lines of one kind with an optional minimum spec.

A line says a site needs ``count`` assets of a kind, optionally of a minimum
spec: memory (given in GiB, stored in bytes), CPU cores, OS family (the
vocabulary of ``muster.cmdb.osfamily``) and maximum age (judged by the
firmware date). Every way in (the CLI, the API, templates and the
requirements file) checks a line with the one model here, ``RequirementSpec``,
so a value is refused the same way, naming the field, wherever it is typed.

A site's lines are told apart by (kind, label) among the lines added by
hand, and among the lines each template made: two lines of one kind need
different labels ("classrooms", "lab"). A line a template made changes only
through its template (``muster.cmdb.templates``); templates and the
requirements file write through ``sync_lines``, which updates lines in place
so the tickets and gap states tied to them survive.
"""

import logging
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError, NotFoundError, StateConflictError
from muster.cmdb.kinds import Kind, require_kind
from muster.cmdb.models import Requirement, RequirementTemplate, RequirementTemplateLine, Site
from muster.cmdb.observation import SiteCode, describe_validation_error
from muster.cmdb.osfamily import OsFamily, parse_os_family
from muster.cmdb.sites import get_site
from muster.cmdb.updates import Changes

logger = logging.getLogger(__name__)

GIB = 1024**3
MAX_COUNT = 1_000_000


def _needed_kind(value: object) -> object:
    return require_kind(value, allow_unknown=False) if isinstance(value, str) else value


def _os_family(value: object) -> object:
    return parse_os_family(value) if isinstance(value, str) else value


def _vocabulary(values: Sequence[str], description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(values), "description": description})


NeededKind = Annotated[
    Kind,
    BeforeValidator(_needed_kind),
    _vocabulary(
        [k.value for k in Kind if k is not Kind.UNKNOWN],
        "What is needed; common synonyms (desktop, ap, nas) are read as these.",
    ),
]
Family = Annotated[
    OsFamily,
    BeforeValidator(_os_family),
    _vocabulary([f.value for f in OsFamily], "OS family, read from the asset's OS name."),
]
Count = Annotated[int, Field(ge=1, le=MAX_COUNT, description="How many the site needs.")]
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    Field(description="Tells a site's lines of one kind apart, e.g. lab."),
]
Note = Annotated[str, Field(max_length=1000, description="Why, for the people reading it.")]
MinMemoryGb = Annotated[float, Field(gt=0, le=2**20, description="Minimum memory in GiB.")]
MinCores = Annotated[int, Field(ge=1, le=100_000, description="Minimum CPU cores.")]
MaxAgeYears = Annotated[
    int, Field(ge=1, le=100, description="Maximum age in years, by the firmware (BIOS) date.")
]


def memory_gb(memory_bytes: int | None) -> float | None:
    """Stored memory in GiB, as people give it (None when the line does not ask)."""
    return None if memory_bytes is None else memory_bytes / GIB


class SpecFilters(BaseModel):
    """The optional minimum spec of a line or a template line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_memory_gb: MinMemoryGb | None = None
    min_cores: MinCores | None = None
    os_family: Family | None = None
    max_age_years: MaxAgeYears | None = None

    @staticmethod
    def fields_of(stored: Requirement | RequirementTemplateLine) -> dict[str, Any]:
        """A stored line's spec as these fields: the reverse of ``columns``."""
        return {
            "min_memory_gb": memory_gb(stored.min_memory_bytes),
            "min_cores": stored.min_cpu_cores,
            "os_family": stored.os_family,
            "max_age_years": stored.max_age_years,
        }

    def columns(self) -> dict[str, Any]:
        """The spec as Requirement column values."""
        memory = self.min_memory_gb
        return {
            # At least a byte: a minimum of 1e-12 GiB is still a minimum.
            "min_memory_bytes": None if memory is None else max(1, round(memory * GIB)),
            "min_cpu_cores": self.min_cores,
            "os_family": None if self.os_family is None else self.os_family.value,
            "max_age_years": self.max_age_years,
        }


class RequirementSpec(SpecFilters):
    """One requirement line as a person gives it: a kind, a count, optional label and spec."""

    kind: NeededKind
    count: Count
    label: Label | None = None
    note: Note | None = None

    def line(self) -> dict[str, Any]:
        """The line as Requirement column values."""
        return {
            "kind": self.kind.value,
            "label": self.label,
            "count": self.count,
            "note": self.note,
            **self.columns(),
        }


class RequirementCreate(RequirementSpec):
    """A line for one site, as the API takes it."""

    site: SiteCode = Field(examples=["lincoln-es"])


class RequirementUpdate(Changes):
    """Changes to a line added by hand; the line is checked whole again."""

    NOT_NULL = ("site", "kind", "count")

    site: SiteCode | SkipJsonSchema[None] = None
    kind: NeededKind | SkipJsonSchema[None] = None
    count: Count | SkipJsonSchema[None] = None
    label: Label | None = None
    note: Note | None = None
    min_memory_gb: MinMemoryGb | None = None
    min_cores: MinCores | None = None
    os_family: Family | None = None
    max_age_years: MaxAgeYears | None = None


class RequirementView(BaseModel):
    """A requirement line as lists and the API show it."""

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
    note: str | None
    template: str | None = Field(description="The template that made the line, if one did.")


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


def requirement_view(
    requirement: Requirement, site_code: str, template: str | None
) -> RequirementView:
    """Build the view of a requirement line."""
    memory = memory_gb(requirement.min_memory_bytes)
    return RequirementView(
        id=requirement.id,
        site=site_code,
        kind=requirement.kind,
        label=requirement.label,
        count=requirement.count,
        spec=describe_spec(
            requirement.min_memory_bytes,
            requirement.min_cpu_cores,
            requirement.os_family,
            requirement.max_age_years,
        ),
        min_memory_gb=None if memory is None else round(memory, 3),
        min_cores=requirement.min_cpu_cores,
        os_family=requirement.os_family,
        max_age_years=requirement.max_age_years,
        note=requirement.note,
        template=template,
    )


def _query() -> Select[Requirement, str, str]:
    return (
        select(Requirement, Site.code, RequirementTemplate.name)
        .join(Site, Site.id == Requirement.site_id)
        .outerjoin(RequirementTemplate, RequirementTemplate.id == Requirement.template_id)
    )


def list_requirements(
    session: Session, *, site: str | None = None, limit: int | None = None, offset: int = 0
) -> tuple[list[RequirementView], int]:
    """Return requirement lines by site, kind and label (one page when ``limit`` is given)."""
    query = _query()
    if site is not None:
        query = query.where(Requirement.site_id == get_site(session, site).id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(
        Site.code, Requirement.kind, Requirement.label.asc().nulls_first(), Requirement.id
    )
    rows = session.execute(query.limit(limit).offset(offset))
    return [requirement_view(r, code, template) for r, code, template in rows], total


def get_requirement(session: Session, requirement_id: int) -> RequirementView:
    """Return one requirement line, or raise NotFoundError."""
    row = session.execute(_query().where(Requirement.id == requirement_id)).first()
    if row is None:
        raise _not_found(requirement_id)
    requirement, code, template = row
    return requirement_view(requirement, code, template)


def add_requirement(session: Session, site_code: str, spec: RequirementSpec) -> RequirementView:
    """Add a line by hand to a site; refuse a second line of the same kind and label."""
    site = get_site(session, site_code)
    _refuse_clash(session, site, spec)
    requirement = Requirement(site_id=site.id, **spec.line())
    session.add(requirement)
    session.flush()
    logger.info("site %s needs %d %s (#%d)", site.code, spec.count, spec.kind, requirement.id)
    return requirement_view(requirement, site.code, None)


def update_requirement(
    session: Session, requirement_id: int, changes: RequirementUpdate
) -> RequirementView:
    """Change the given fields of a line added by hand; the changed line is checked whole."""
    requirement, site = _hand_made(session, requirement_id, "changed")
    given = changes.given()
    if "site" in given:
        site = get_site(session, given.pop("site"))
    current = {
        "kind": requirement.kind,
        "count": requirement.count,
        "label": requirement.label,
        "note": requirement.note,
        **SpecFilters.fields_of(requirement),
    }
    try:
        spec = RequirementSpec.model_validate(current | given)
    except ValidationError as exc:
        # Only a line stored before input was checked this way can fail here.
        where = f"requirement #{requirement_id}"
        raise ConfigurationError(
            describe_validation_error(exc, where=where, fields_hint=None)
        ) from exc
    _refuse_clash(session, site, spec, keep=requirement.id)
    requirement.site_id = site.id
    for name, value in spec.line().items():
        setattr(requirement, name, value)
    session.flush()
    logger.info("changed requirement #%d of site %s: %s", requirement_id, site.code, given)
    return requirement_view(requirement, site.code, None)


def remove_requirement(session: Session, requirement_id: int) -> RequirementView:
    """Remove a line added by hand and return what it was; template lines go with the template."""
    requirement, site = _hand_made(session, requirement_id, "removed")
    removed = requirement_view(requirement, site.code, None)
    session.delete(requirement)
    session.flush()
    logger.info("removed requirement #%d of site %s", requirement_id, site.code)
    return removed


def find_requirement(session: Session, requirement_id: int) -> Requirement:
    """Return the row of a requirement line, or raise NotFoundError saying how to find ids."""
    requirement = session.get(Requirement, requirement_id)
    if requirement is None:
        raise _not_found(requirement_id)
    return requirement


def _not_found(requirement_id: int) -> NotFoundError:
    return NotFoundError(
        f"requirement #{requirement_id} does not exist: `muster requirement list` shows them"
    )


def _hand_made(session: Session, requirement_id: int, verb: str) -> tuple[Requirement, Site]:
    """The line and its site, or an error when it does not exist or a template made it."""
    requirement = find_requirement(session, requirement_id)
    site = session.get(Site, requirement.site_id)
    assert site is not None
    if requirement.template_id is not None:
        template = session.get(RequirementTemplate, requirement.template_id)
        name = template.name if template else "?"
        raise StateConflictError(
            f"requirement #{requirement_id} comes from template {name!r} and is {verb} with "
            f"it: change the template, or take it off the site with `muster requirement "
            f"template remove {name} {site.code}`"
        )
    return requirement, site


def _refuse_clash(
    session: Session, site: Site, spec: RequirementSpec, keep: int | None = None
) -> None:
    """Refuse a hand-made line whose kind and label another hand-made line of the site has."""
    label = Requirement.label.is_(None) if spec.label is None else Requirement.label == spec.label
    clash = session.scalar(
        select(Requirement).where(
            Requirement.site_id == site.id,
            Requirement.template_id.is_(None),
            Requirement.kind == spec.kind.value,
            label,
            Requirement.id != (keep or 0),
        )
    )
    if clash is not None:
        labelled = f" ({spec.label})" if spec.label else ""
        raise StateConflictError(
            f"site {site.code!r} already needs {clash.count} {spec.kind.value}{labelled} "
            f"(requirement #{clash.id}): give each line of one kind its own label "
            f"(--label), or remove requirement #{clash.id} first"
        )


def lines_twice(keys: Sequence[tuple[str, str | None]]) -> str:
    """Say which (kind, label) pairs come more than once, '' when none does."""
    twice = sorted(
        {f"{k} ({label or 'no label'})" for k, label in keys if keys.count((k, label)) > 1}
    )
    if not twice:
        return ""
    return f"two lines of {', '.join(twice)}: give each line of one kind its own label"


def sync_lines(
    session: Session, site: Site, template_id: int | None, wanted: Sequence[dict[str, Any]]
) -> tuple[int, int, int]:
    """Make a site's lines of one origin (by hand, or one template) equal ``wanted``.

    Lines are matched by (kind, label) and updated in place, so their ids, and
    the tickets and gap states tied to them, survive. Returns (added, updated,
    removed).
    """
    twice = lines_twice([(line["kind"], line["label"]) for line in wanted])
    if twice:
        raise ConfigurationError(f"site {site.code!r} would get {twice}")
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
