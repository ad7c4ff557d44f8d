"""``/api/v1/conflicts``: identifiers that disagree, and resolving them by hand."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from muster.api.deps import Admin, DatabaseDep, PagingDep, Reader, ReadSession
from muster.api.problems import responses
from muster.api.schemas.common import Page
from muster.api.schemas.conflicts import ConflictResolve
from muster.cmdb.resolve import Resolution, keep_apart, merge_conflict
from muster.cmdb.views import ConflictView, get_conflict, page_conflicts

router = APIRouter(prefix="/conflicts", tags=["conflicts"])

ConflictId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", responses=responses(401, 403, 422))
def read_conflicts(
    caller: Reader,
    session: ReadSession,
    paging: PagingDep,
    status: Annotated[Literal["open", "resolved", "all"], Query()] = "open",
) -> Page[ConflictView]:
    """List conflicts by id: open ones unless another status is asked."""
    items, total = page_conflicts(
        session,
        status=None if status == "all" else status,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[ConflictView](items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/{conflict_id}", responses=responses(401, 403, 404, 422))
def read_conflict(conflict_id: ConflictId, caller: Reader, session: ReadSession) -> ConflictView:
    """Show one conflict."""
    return get_conflict(session, conflict_id)


@router.post("/{conflict_id}/resolve", responses=responses(400, 401, 403, 404, 409, 413, 415, 422))
def resolve_conflict(
    conflict_id: ConflictId, body: ConflictResolve, caller: Admin, database: DatabaseDep
) -> Resolution:
    """Merge the conflict's two assets into the older one, or keep them apart.

    Either way the conflict is closed and both assets' history records who
    decided, and the note given.
    """
    by = f"token:{caller.name}"[:16]
    with database.session(writer=True) as session:
        if body.action == "merge":
            return merge_conflict(session, conflict_id, note=body.note, by=by)
        return keep_apart(session, conflict_id, note=body.note, by=by)
