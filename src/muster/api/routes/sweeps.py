"""``/api/v1/sweeps``: start a sweep of a site, and read how far sweeps got."""

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from muster.api.deps import Admin, DatabaseDep, PagingDep, Reader, ReadSession
from muster.api.problems import responses
from muster.api.schemas.common import Page
from muster.api.schemas.sweeps import SweepStart
from muster.cmdb.views import SweepView, get_sweep, list_sweeps

if TYPE_CHECKING:
    from muster.collector.service import SweepService

router = APIRouter(prefix="/sweeps", tags=["sweeps"])


def sweep_service(request: Request, database: DatabaseDep) -> "SweepService":
    """The app's sweep service, made on first use: one sweep per site at a time."""
    # The collector (scapy, nmap) loads only when a sweep is started here.
    from muster.collector.service import SweepService

    service: SweepService | None = getattr(request.app.state, "sweeps", None)
    if service is None:
        service = request.app.state.sweeps = SweepService(database)
    return service


@router.post("", status_code=202, responses=responses(400, 401, 403, 404, 409, 413, 415, 422))
def start_sweep_route(
    body: SweepStart,
    caller: Admin,
    request: Request,
    response: Response,
    database: DatabaseDep,
) -> SweepView:
    """Start sweeping a site now; read its progress at the Location given.

    The sweep sends packets only inside the site's subnets minus its
    exclusions, at its packet-rate limit. 409 while the site is being swept.
    """
    service = sweep_service(request, database)
    targets = [str(address) for address in body.targets] if body.targets else None
    plan = service.start(body.site, trigger="api", targets=targets, techniques=body.techniques)
    sweep_id = service.wait_started(plan.site)
    response.headers["Location"] = f"{request.url.path}/{sweep_id}"
    with database.session() as session:
        return get_sweep(session, sweep_id)


@router.get("", responses=responses(401, 403, 422))
def read_sweeps(
    caller: Reader,
    session: ReadSession,
    paging: PagingDep,
    site: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    status: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
) -> Page[SweepView]:
    """List sweeps, newest first."""
    items, total = list_sweeps(
        session, site=site, status=status, limit=paging.limit, offset=paging.offset
    )
    return Page[SweepView](items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/{sweep_id}", responses=responses(401, 403, 404, 422))
def read_sweep(
    sweep_id: Annotated[int, Path(ge=1, le=2**31 - 1)], caller: Reader, session: ReadSession
) -> SweepView:
    """Show one sweep: its status, counts and errors."""
    return get_sweep(session, sweep_id)
