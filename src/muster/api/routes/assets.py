"""``/api/v1/assets``: find assets, look one up by what a ticket names, show one in full."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from muster.api.deps import PagingDep, Reader, ReadSession, read
from muster.api.errors import FieldProblem, InvalidRequestError
from muster.api.problems import responses
from muster.api.schemas.common import Page
from muster.cmdb.errors import NotFoundError
from muster.cmdb.kinds import Kind
from muster.cmdb.models import Asset
from muster.cmdb.network import canonical_mac
from muster.cmdb.status import Status
from muster.cmdb.views import (
    ASSET_SORT_KEYS,
    AssetDetail,
    AssetFilter,
    AssetSummary,
    asset_lookup,
    describe_asset,
    page_assets,
)

router = APIRouter(prefix="/assets", tags=["assets"])

SortKey = Annotated[
    str,
    Query(
        pattern=f"^-?({'|'.join(ASSET_SORT_KEYS)})$",
        description="Field to sort by; a leading - sorts descending.",
    ),
]
Text = Annotated[str | None, Query(min_length=1, max_length=255)]


@router.get("", responses=responses(401, 403, 422))
def read_assets(
    caller: Reader,
    session: ReadSession,
    paging: PagingDep,
    site: Text = None,
    kind: Kind | None = None,
    status: Status | None = None,
    vendor: Text = None,
    model: Text = None,
    q: Annotated[str | None, Query(max_length=255, description="Free text.")] = None,
    serial: Text = None,
    mac: Text = None,
    ip: Text = None,
    hostname: Text = None,
    seen_after: datetime | None = None,
    seen_before: datetime | None = None,
    sort: SortKey = "id",
) -> Page[AssetSummary]:
    """List assets matching every filter given, sorted, one page at a time."""
    criteria = AssetFilter(
        site=site,
        kind=kind.value if kind else None,
        status=status.value if status else None,
        vendor=vendor,
        model=model,
        text=q,
        serial=serial,
        mac=_mac(mac),
        ip=ip,
        hostname=hostname,
        seen_after=_aware(seen_after, "seen_after"),
        seen_before=_aware(seen_before, "seen_before"),
    )
    items, total = page_assets(
        session, criteria, sort=sort, limit=paging.limit, offset=paging.offset
    )
    return Page[AssetSummary](items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/lookup", response_model=AssetSummary, responses=responses(401, 403, 404, 409, 422))
async def lookup(
    request: Request,
    caller: Reader,
    serial: Text = None,
    mac: Text = None,
    ip: Text = None,
    hostname: Text = None,
) -> Response:
    """Find the one asset with this serial, MAC, address or host name (give exactly one)."""
    given = {
        name: value
        for name, value in (("serial", serial), ("mac", mac), ("ip", ip), ("hostname", hostname))
        if value is not None
    }
    if len(given) != 1:
        raise InvalidRequestError(
            "give exactly one of serial, mac, ip or hostname",
            [
                FieldProblem(field=f"query.{name}", message="give only one", value=v)
                for name, v in given.items()
            ],
        )
    ((kind, value),) = given.items()
    if kind == "mac":
        value = _mac(value) or value
    # The hottest route of the API: it reads without the thread pool (see
    # deps.read) and returns the JSON the response model would give, built
    # from the model itself rather than validated a second time.
    found = await read(request, asset_lookup(kind, value))
    return Response(found.model_dump_json(), media_type="application/json")


@router.get("/{asset_id}", responses=responses(401, 403, 404, 422))
def read_asset(
    asset_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    caller: Reader,
    session: ReadSession,
) -> AssetDetail:
    """Show one asset: attributes and their sources, identifiers, children, history, tickets."""
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFoundError(f"asset {asset_id} does not exist (it may have been merged away)")
    return describe_asset(session, asset)


def _mac(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return canonical_mac(text)
    except ValueError as exc:
        raise InvalidRequestError(
            str(exc), [FieldProblem(field="query.mac", message=str(exc), value=text)]
        ) from exc


def _aware(moment: datetime | None, name: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise InvalidRequestError(
            f"{name} needs a time zone, e.g. 2026-11-02T08:00:00Z",
            [
                FieldProblem(
                    field=f"query.{name}", message="needs a time zone", value=moment.isoformat()
                )
            ],
        )
    return moment
