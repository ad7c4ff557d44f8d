"""``/dashboard``: the managers' pages, server-rendered, signed in with a read token.

A browser cannot send a Bearer header by itself, so the sign-in form takes a
token with the read scope and keeps it in an HttpOnly, same-site cookie;
every page checks it as the API checks a header (a Bearer header works too).
The pages are HTML, so they stay out of the OpenAPI document.
"""

import logging
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from muster.api.deps import DatabaseDep, ReadSession, read
from muster.api.routes.reports import AsOf, FreshWithin, current_gaps
from muster.cmdb.plain import session_reader
from muster.cmdb.tokens import Scope, authenticate, token_read
from muster.cmdb.views import describe_asset, find_asset
from muster.reports.dashboard import asset_page, district_page, login_page, school_page

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/dashboard", include_in_schema=False)

COOKIE = "muster_token"
LOGIN = "/dashboard/login"
_MAX_FORM = 4096


def _signed_in(request: Request, session: Session) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    secret = value.strip() if scheme.lower() == "bearer" else request.cookies.get(COOKIE, "")
    if not secret:
        return False
    caller = authenticate(session_reader(session), secret)
    return caller is not None and caller.allows(Scope.READ)


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN}?{urlencode({'next': target})}", status_code=303)


def _query(as_of: datetime | None, fresh_within_days: int) -> str:
    pairs = {}
    if as_of is not None:
        pairs["as_of"] = as_of.isoformat()
    if fresh_within_days != 7:
        pairs["fresh_within_days"] = str(fresh_within_days)
    return f"?{urlencode(pairs)}" if pairs else ""


@router.get("/login")
def login_form(next_page: Annotated[str, Query(alias="next")] = "/dashboard") -> HTMLResponse:
    """The sign-in form."""
    return HTMLResponse(login_page(next_page=_safe_next(next_page)))


@router.post("/login")
async def login(request: Request, database: DatabaseDep) -> Response:
    """Check the token; keep it in a cookie and go on, or show the form again."""
    body = await request.body()
    form = parse_qs(body[:_MAX_FORM].decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    next_page = _safe_next((form.get("next") or ["/dashboard"])[0])
    caller = await read(request, token_read(token)) if token else None
    if caller is None or not caller.allows(Scope.READ):
        error = "That token is not valid, was revoked, or lacks the read scope."
        return HTMLResponse(login_page(error=error, next_page=next_page), status_code=401)
    response = RedirectResponse(next_page, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/dashboard")
    logger.info("dashboard sign-in with token %s", caller.name)
    return response


def _safe_next(target: str) -> str:
    # Only pages of the dashboard itself: the form must not send anyone elsewhere.
    return target if target.startswith("/dashboard") and "//" not in target else "/dashboard"


@router.get("")
def district(
    request: Request,
    session: ReadSession,
    as_of: AsOf = None,
    fresh_within_days: FreshWithin = 7,
) -> Response:
    """The district overview: schools by % restored, worst first."""
    if not _signed_in(request, session):
        return _to_login(request)
    report, _frames = current_gaps(session, as_of, fresh_within_days)
    return HTMLResponse(district_page(report, query=_query(as_of, fresh_within_days)))


@router.get("/sites/{code}")
def school(
    request: Request,
    session: ReadSession,
    code: Annotated[str, Path(min_length=1, max_length=32)],
    as_of: AsOf = None,
    fresh_within_days: FreshWithin = 7,
) -> Response:
    """One school: gap table, chart, assets and tickets."""
    if not _signed_in(request, session):
        return _to_login(request)
    report, frames = current_gaps(session, as_of, fresh_within_days)
    page = school_page(report, frames, code.lower(), query=_query(as_of, fresh_within_days))
    return HTMLResponse(page)


@router.get("/assets/{asset_id}")
def asset(
    request: Request,
    session: ReadSession,
    database: DatabaseDep,
    asset_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    as_of: AsOf = None,
    fresh_within_days: FreshWithin = 7,
) -> Response:
    """One asset: where it was last seen, identifiers, history, tickets."""
    if not _signed_in(request, session):
        return _to_login(request)
    detail = describe_asset(session, find_asset(session, str(asset_id)))
    return HTMLResponse(asset_page(detail, query=_query(as_of, fresh_within_days)))
