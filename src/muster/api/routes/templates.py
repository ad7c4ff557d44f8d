"""``/api/v1/templates``: requirement templates, applied to many sites with their quantities.

The same templates as ``muster requirement template`` and the requirements
file (``muster.cmdb.templates``): changing one re-makes its lines at every
site it is applied to, keeping their ids and the tickets tied to them.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from muster.api.deps import Admin, DatabaseDep, PagingDep, Reader, ReadSession
from muster.api.problems import responses
from muster.api.schemas.common import Page
from muster.cmdb.requirements_file import SiteOutcome
from muster.cmdb.templates import (
    TemplateBody,
    TemplateSpec,
    TemplateView,
    UnitName,
    apply_template,
    list_templates,
    remove_template_from_site,
    upsert_template,
)

router = APIRouter(prefix="/templates", tags=["requirements"])

TemplatePath = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$", examples=["elementary"])
]
SitePath = Annotated[str, Path(min_length=1, max_length=32)]


class SiteQuantities(BaseModel):
    """A site's quantities of the units a template's lines scale with."""

    model_config = ConfigDict(extra="forbid")

    quantities: dict[UnitName, int] = Field(
        default_factory=dict,
        examples=[{"classroom": 24}],
        description="Unit -> the site's number.",
    )


@router.get("", responses=responses(401, 403, 422))
def read_templates(caller: Reader, session: ReadSession, paging: PagingDep) -> Page[TemplateView]:
    """List templates by name, with their lines and the sites each is applied to."""
    templates = list_templates(session)
    shown = templates[paging.offset : paging.offset + paging.limit]
    return Page[TemplateView](
        items=shown, total=len(templates), limit=paging.limit, offset=paging.offset
    )


@router.get("/{name}", responses=responses(401, 403, 404, 422))
def read_template(name: TemplatePath, caller: Reader, session: ReadSession) -> TemplateView:
    """Show one template."""
    [template] = list_templates(session, name=name)
    return template


@router.put("/{name}", responses=responses(400, 401, 403, 413, 415, 422))
def put_template(
    name: TemplatePath, body: TemplateBody, caller: Admin, database: DatabaseDep
) -> TemplateView:
    """Create or replace a template; the sites it is applied to get its new lines."""
    spec = TemplateSpec(name=name, description=body.description, lines=body.lines)
    with database.session(writer=True) as session:
        upsert_template(session, spec)
        [template] = list_templates(session, name=spec.name)
    return template


@router.put("/{name}/sites/{code}", responses=responses(400, 401, 403, 404, 413, 415, 422))
def apply_template_route(
    name: TemplatePath, code: SitePath, body: SiteQuantities, caller: Admin, database: DatabaseDep
) -> SiteOutcome:
    """Apply a template to a site with its quantities, or change them."""
    with database.session(writer=True) as session:
        added, updated, removed = apply_template(session, name, code, body.quantities)
    return SiteOutcome(site=code.lower(), added=added, updated=updated, removed=removed)


@router.delete("/{name}/sites/{code}", status_code=204, responses=responses(401, 403, 404, 422))
def remove_template_route(
    name: TemplatePath, code: SitePath, caller: Admin, database: DatabaseDep
) -> Response:
    """Take a template off a site, with the lines it made there."""
    with database.session(writer=True) as session:
        remove_template_from_site(session, name, code)
    return Response(status_code=204)
