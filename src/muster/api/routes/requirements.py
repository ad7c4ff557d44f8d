"""``/api/v1/requirements``: what each site needs, line by line.

Lines are checked as the CLI and the requirements file check them
(``muster.cmdb.requirements``). Lines a template made are read here but
changed through their template (``/api/v1/templates``); ``apply`` takes a
whole requirements file.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from muster.api.deps import Admin, DatabaseDep, PagingDep, Reader, ReadSession
from muster.api.problems import responses
from muster.api.schemas.common import Page
from muster.cmdb.requirements import (
    RequirementCreate,
    RequirementUpdate,
    RequirementView,
    add_requirement,
    get_requirement,
    list_requirements,
    remove_requirement,
    update_requirement,
)
from muster.cmdb.requirements_file import RequirementsFile, SiteOutcome, apply_requirements_file

router = APIRouter(prefix="/requirements", tags=["requirements"])

RequirementId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", responses=responses(401, 403, 404, 422))
def read_requirements(
    caller: Reader,
    session: ReadSession,
    paging: PagingDep,
    site: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
) -> Page[RequirementView]:
    """List requirement lines by site, kind and label."""
    items, total = list_requirements(session, site=site, limit=paging.limit, offset=paging.offset)
    return Page[RequirementView](
        items=items, total=total, limit=paging.limit, offset=paging.offset
    )


@router.post("", status_code=201, responses=responses(400, 401, 403, 404, 409, 413, 415, 422))
def create_requirement_route(
    body: RequirementCreate, caller: Admin, database: DatabaseDep
) -> RequirementView:
    """Add a line to a site; a second line of one kind needs its own label (else 409)."""
    with database.session(writer=True) as session:
        return add_requirement(session, body.site, body)


@router.post("/apply", responses=responses(400, 401, 403, 404, 413, 415, 422))
def apply_requirements_route(
    body: RequirementsFile, caller: Admin, database: DatabaseDep
) -> list[SiteOutcome]:
    """Apply a requirements file, sent as JSON in the TOML file's shape.

    Its templates are created or replaced; each site it names gets exactly the
    templates and hand-made lines listed, other sites are left alone. Nothing
    is written when any part is refused.
    """
    with database.session(writer=True) as session:
        return apply_requirements_file(session, body)


@router.get("/{requirement_id}", responses=responses(401, 403, 404, 422))
def read_requirement(
    requirement_id: RequirementId, caller: Reader, session: ReadSession
) -> RequirementView:
    """Show one requirement line."""
    return get_requirement(session, requirement_id)


@router.patch("/{requirement_id}", responses=responses(400, 401, 403, 404, 409, 413, 415, 422))
def update_requirement_route(
    requirement_id: RequirementId, body: RequirementUpdate, caller: Admin, database: DatabaseDep
) -> RequirementView:
    """Change a line added by hand; fields left out stay as they are (a template's line: 409)."""
    with database.session(writer=True) as session:
        return update_requirement(session, requirement_id, body)


@router.delete("/{requirement_id}", status_code=204, responses=responses(401, 403, 404, 409, 422))
def delete_requirement_route(
    requirement_id: RequirementId, caller: Admin, database: DatabaseDep
) -> Response:
    """Remove a line added by hand (a template's line: 409)."""
    with database.session(writer=True) as session:
        remove_requirement(session, requirement_id)
    return Response(status_code=204)
