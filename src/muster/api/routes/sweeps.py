"""``/api/v1/sweeps``: collector runs and how far they got; the collector adds starting them."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from muster.api.deps import PagingDep, Reader, ReadSession
from muster.api.problems import responses
from muster.api.schemas.common import Page
from muster.cmdb.views import SweepView, get_sweep, list_sweeps

router = APIRouter(prefix="/sweeps", tags=["sweeps"])


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
