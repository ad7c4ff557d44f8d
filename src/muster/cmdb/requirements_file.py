"""The requirements file: templates and per-site requirements declared in TOML.

::

    [templates.elementary]
    description = "Elementary school"
    lines = [
      { kind = "access_point", per = "classroom" },
      { kind = "workstation", per = "classroom", label = "classrooms" },
      { kind = "workstation", count = 30, label = "lab", min_memory_gb = 8 },
      { kind = "switch", count = 2 },
    ]

    [sites.lincoln-es]
    templates = { elementary = { classroom = 24 } }
    requirements = [ { kind = "server", count = 1, min_memory_gb = 16 } ]

Applying it declares, for each site it names, the whole truth: templates not
listed are taken off, hand-made lines not listed are removed, the rest are
updated in place. Sites it does not name are left alone. The file is
checked whole before anything is written.
"""

import logging
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConfigurationError
from muster.cmdb.models import RequirementTemplate, SiteTemplate
from muster.cmdb.observation import SiteCode, describe_validation_error
from muster.cmdb.requirements import RequirementSpec, sync_lines
from muster.cmdb.sites import get_site
from muster.cmdb.templates import (
    TemplateBody,
    TemplateName,
    TemplateSpec,
    apply_template,
    remove_template_from_site,
    upsert_template,
)

logger = logging.getLogger(__name__)


class SiteBody(BaseModel):
    """A site's entry under [sites.CODE]."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    templates: dict[TemplateName, dict[str, int]] = Field(
        default_factory=dict, description="Template name -> the site's quantities."
    )
    requirements: list[RequirementSpec] = Field(default_factory=list)


class RequirementsFile(BaseModel):
    """A whole requirements file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    templates: dict[TemplateName, TemplateBody] = Field(default_factory=dict)
    sites: dict[SiteCode, SiteBody] = Field(default_factory=dict)


class SiteOutcome(BaseModel):
    """What applying the file did to one site's lines."""

    site: str
    added: int = 0
    updated: int = 0
    removed: int = 0


def load_requirements_file(path: Path) -> RequirementsFile:
    """Read and check a requirements file, naming the file, field and value on error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"requirements file {str(path)!r} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return RequirementsFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(
            describe_validation_error(exc, where=str(path), fields_hint=None)
        ) from exc


def apply_requirements_file(session: Session, declared: RequirementsFile) -> list[SiteOutcome]:
    """Make templates and the named sites' lines match the file; one outcome per site."""
    for code in declared.sites:
        get_site(session, code)  # every site must exist before anything is written
    known = set(session.scalars(select(RequirementTemplate.name))) | set(declared.templates)
    for code, body in declared.sites.items():
        unknown = sorted(set(body.templates) - known)
        if unknown:
            raise ConfigurationError(
                f"site {code!r} uses template {unknown[0]!r}, which neither the file nor the "
                "CMDB declares: add it under [templates]"
            )
    for name, template in declared.templates.items():
        upsert_template(
            session,
            TemplateSpec(name=name, description=template.description, lines=template.lines),
        )
    return [_apply_site(session, code, body) for code, body in declared.sites.items()]


def _apply_site(session: Session, code: str, body: SiteBody) -> SiteOutcome:
    site = get_site(session, code)
    outcome = SiteOutcome(site=site.code)
    applied = session.scalars(
        select(RequirementTemplate.name)
        .join(SiteTemplate, SiteTemplate.template_id == RequirementTemplate.id)
        .where(SiteTemplate.site_id == site.id)
    )
    for name in sorted(set(applied) - set(body.templates)):
        outcome.removed += remove_template_from_site(session, name, site.code)
    for name, quantities in body.templates.items():
        added, updated, removed = apply_template(session, name, site.code, quantities)
        outcome.added, outcome.updated = outcome.added + added, outcome.updated + updated
        outcome.removed += removed
    added, updated, removed = sync_lines(
        session, site, None, [spec.line() for spec in body.requirements]
    )
    outcome.added, outcome.updated = outcome.added + added, outcome.updated + updated
    outcome.removed += removed
    logger.info("requirements of %s: %s", site.code, outcome)
    return outcome
