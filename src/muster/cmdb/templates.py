"""Requirement templates applied to many sites, and the requirements file (TOML).

A template line asks for ``count`` plus ``each`` per unit of ``per`` (e.g.
one projector per classroom; 30 lab workstations). Applying a template to a
site with its quantities (``classroom = 24``) makes the site's lines;
changing the template later re-makes the lines of every site it is applied
to. The requirements file declares templates and, per site, the templates
applied and the lines added by hand; applying it makes the named sites match
it and leaves every other site alone.
"""

import logging
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from muster.cmdb.errors import ConfigurationError, NotFoundError
from muster.cmdb.models import (
    RequirementTemplate,
    RequirementTemplateLine,
    Site,
    SiteTemplate,
    utcnow,
)
from muster.cmdb.requirements import (
    MAX_COUNT,
    Label,
    NeededKind,
    SpecFilters,
    lines_twice,
    sync_lines,
)
from muster.cmdb.sites import get_site

logger = logging.getLogger(__name__)

TemplateName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$"
    ),
]
UnitName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z][a-z0-9_-]{0,31}$"),
]


class TemplateLineSpec(SpecFilters):
    """One template line: ``count`` fixed plus ``each`` per unit of ``per``."""

    kind: NeededKind
    label: Label | None = None
    count: int = Field(
        0, ge=0, le=MAX_COUNT, description="Fixed number, whatever the site's quantities."
    )
    per: UnitName | None = Field(None, description="Unit the line scales with, e.g. classroom.")
    each: int = Field(1, ge=1, le=MAX_COUNT, description="How many per unit of `per`.")

    @model_validator(mode="after")
    def _asks_for_something(self) -> "TemplateLineSpec":
        if self.count == 0 and self.per is None:
            raise ValueError(f"line of {self.kind.value} asks for nothing: give count or per")
        return self

    def needed(self, quantities: dict[str, int]) -> int:
        """How many a site with these quantities needs."""
        return self.count + (self.each * quantities[self.per] if self.per else 0)


class TemplateBody(BaseModel):
    """A template's description and lines: its entry under [templates.NAME], or an API body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str | None = Field(None, max_length=1000)
    lines: list[TemplateLineSpec] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _lines_told_apart(self) -> "TemplateBody":
        twice = lines_twice([(line.kind.value, line.label) for line in self.lines])
        if twice:
            raise ValueError(twice)
        return self

    @property
    def units(self) -> list[str]:
        """The units the template's lines scale with, each once."""
        return sorted({line.per for line in self.lines if line.per})


class TemplateSpec(TemplateBody):
    """A template as a person declares it: a name, a description and lines."""

    name: TemplateName


class TemplateView(BaseModel):
    """A template with its lines and the sites it is applied to."""

    name: str
    description: str | None
    lines: list[TemplateLineSpec]
    sites: dict[str, dict[str, int]] = Field(description="Site code -> its quantities.")


def _spec_of(template: RequirementTemplate) -> TemplateSpec:
    lines = [
        TemplateLineSpec.model_validate(
            {
                "kind": line.kind,
                "label": line.label,
                "count": line.base_count,
                "per": line.unit,
                "each": line.per_unit_count or 1,
                **SpecFilters.fields_of(line),
            }
        )
        for line in template.lines
    ]
    return TemplateSpec(name=template.name, description=template.description, lines=lines)


def get_template(session: Session, name: str) -> RequirementTemplate:
    """Return a template by name, or raise NotFoundError saying how to make one."""
    template = session.scalar(
        select(RequirementTemplate)
        .where(RequirementTemplate.name == name.strip().lower())
        .options(selectinload(RequirementTemplate.lines))
    )
    if template is None:
        raise NotFoundError(
            f"template {name!r} does not exist: declare it in a requirements file and run "
            "`muster requirement apply FILE`, or PUT it at /api/v1/templates/NAME"
        )
    return template


def upsert_template(session: Session, spec: TemplateSpec) -> RequirementTemplate:
    """Create or replace a template, then re-make the lines of every site it is applied to."""
    template = session.scalar(
        select(RequirementTemplate).where(RequirementTemplate.name == spec.name)
    )
    if template is None:
        template = RequirementTemplate(name=spec.name)
        session.add(template)
        logger.info("created template %s", spec.name)
    template.description = spec.description
    template.lines = [
        RequirementTemplateLine(
            kind=line.kind.value,
            label=line.label,
            base_count=line.count,
            unit=line.per,
            per_unit_count=line.each if line.per else 0,
            **line.columns(),
        )
        for line in spec.lines
    ]
    session.flush()
    for applied in session.scalars(
        select(SiteTemplate).where(SiteTemplate.template_id == template.id)
    ):
        site = session.get(Site, applied.site_id)
        assert site is not None
        _make_lines(session, site, template.id, spec, applied.quantities)
    return template


def apply_template(
    session: Session, name: str, site_code: str, quantities: dict[str, int]
) -> tuple[int, int, int]:
    """Apply a template to a site with its quantities; returns (added, updated, removed)."""
    template = get_template(session, name)
    site = get_site(session, site_code)
    spec = _spec_of(template)
    counts = _make_lines(session, site, template.id, spec, quantities)
    applied = session.get(SiteTemplate, (site.id, template.id))
    if applied is None:
        session.add(SiteTemplate(site_id=site.id, template_id=template.id, quantities=quantities))
    else:
        applied.quantities = dict(quantities)
        applied.applied_at = utcnow()
    session.flush()
    logger.info("applied template %s to %s with %s", template.name, site.code, quantities)
    return counts


def _make_lines(
    session: Session, site: Site, template_id: int, spec: TemplateSpec, quantities: dict[str, Any]
) -> tuple[int, int, int]:
    missing = [unit for unit in spec.units if unit not in quantities]
    if missing:
        given = ", ".join(f"{k}={v}" for k, v in quantities.items()) or "none"
        raise ConfigurationError(
            f"template {spec.name!r} at site {site.code!r} needs a quantity of "
            f"{', '.join(missing)} (given: {given}): give the site's number of {missing[0]}"
        )
    bad = {
        k: v for k, v in quantities.items() if not isinstance(v, int) or not 0 <= v <= MAX_COUNT
    }
    if bad:
        raise ConfigurationError(
            f"quantities {bad!r} for site {site.code!r} are not whole numbers from 0 to "
            f"{MAX_COUNT}"
        )
    wanted = []
    for line in spec.lines:
        count = line.needed(quantities)
        if count > MAX_COUNT:
            raise ConfigurationError(
                f"template {spec.name!r} would ask site {site.code!r} for {count} "
                f"{line.kind.value}: more than {MAX_COUNT}; check the site's quantities"
            )
        if count > 0:
            wanted.append(
                {"kind": line.kind.value, "label": line.label, "count": count, "note": None}
                | line.columns()
            )
    return sync_lines(session, site, template_id, wanted)


def remove_template_from_site(session: Session, name: str, site_code: str) -> int:
    """Take a template off a site with the lines it made; returns how many lines went."""
    template = get_template(session, name)
    site = get_site(session, site_code)
    applied = session.get(SiteTemplate, (site.id, template.id))
    if applied is None:
        raise NotFoundError(f"template {template.name!r} is not applied to site {site.code!r}")
    _added, _updated, removed = sync_lines(session, site, template.id, [])
    session.delete(applied)
    session.flush()
    return removed


def list_templates(session: Session, *, name: str | None = None) -> list[TemplateView]:
    """Return every template (or the one named) with its lines and the sites it is applied to."""
    query = (
        select(RequirementTemplate)
        .order_by(RequirementTemplate.name)
        .options(selectinload(RequirementTemplate.lines))
    )
    if name is not None:
        query = query.where(RequirementTemplate.id == get_template(session, name).id)
    templates = session.scalars(query)
    applied: dict[int, dict[str, dict[str, int]]] = {}
    for row, code in session.execute(
        select(SiteTemplate, Site.code).join(Site, Site.id == SiteTemplate.site_id)
    ):
        applied.setdefault(row.template_id, {})[code] = row.quantities
    return [
        TemplateView(
            name=t.name,
            description=t.description,
            lines=_spec_of(t).lines,
            sites=dict(sorted(applied.get(t.id, {}).items())),
        )
        for t in templates
    ]
