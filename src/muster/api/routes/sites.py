"""``/api/v1/sites``: schools and buildings, and their subnets."""

from fastapi import APIRouter, Response

from muster.api.deps import Admin, DatabaseDep, PagingDep, Reader, ReadSession
from muster.api.problems import responses
from muster.api.schemas.common import Page
from muster.api.schemas.sites import SiteCreate, SitePublic, SiteUpdate
from muster.cmdb.sites import (
    create_site,
    delete_site,
    get_site,
    list_sites,
    site_view,
    update_site,
)
from muster.collector.settings import change_sweep_settings

router = APIRouter(prefix="/sites", tags=["sites"])


@router.get("", responses=responses(401, 403, 422))
def read_sites(caller: Reader, session: ReadSession, paging: PagingDep) -> Page[SitePublic]:
    """List sites by code, with their subnets and asset counts."""
    sites = list_sites(session)
    shown = sites[paging.offset : paging.offset + paging.limit]
    return Page[SitePublic](
        items=[site_view(session, site) for site in shown],
        total=len(sites),
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("", status_code=201, responses=responses(400, 401, 403, 409, 413, 415, 422))
def create_site_route(body: SiteCreate, caller: Admin, database: DatabaseDep) -> SitePublic:
    """Create a site; its subnets must not overlap another site's."""
    with database.session(writer=True) as session:
        site = create_site(
            session, body.code, name=body.name, subnets=body.subnets, contact=body.contact
        )
        change_sweep_settings(session, site, body.sweep_changes())
        return site_view(session, site)


@router.get("/{code}", responses=responses(401, 403, 404, 422))
def read_site(code: str, caller: Reader, session: ReadSession) -> SitePublic:
    """Show one site."""
    return site_view(session, get_site(session, code))


@router.patch("/{code}", responses=responses(400, 401, 403, 404, 413, 415, 422))
def update_site_route(
    code: str, body: SiteUpdate, caller: Admin, database: DatabaseDep
) -> SitePublic:
    """Rename a site, change its contact or sweep settings, or replace its subnets."""
    changes = body.model_dump(exclude_unset=True)
    with database.session(writer=True) as session:
        site = update_site(
            session,
            code,
            name=changes.get("name"),
            contact=changes.get("contact"),
            subnets=changes.get("subnets"),
        )
        change_sweep_settings(session, site, body.sweep_changes())
        return site_view(session, site)


@router.delete("/{code}", status_code=204, responses=responses(401, 403, 404, 409, 422))
def delete_site_route(code: str, caller: Admin, database: DatabaseDep) -> Response:
    """Delete a site that has no assets left."""
    with database.session(writer=True) as session:
        delete_site(session, code)
    return Response(status_code=204)
