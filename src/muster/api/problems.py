"""Error responses as problem details (RFC 9457), and the exception handlers that make them.

Every 4xx and 5xx the API sends is ``application/problem+json``:
``{"type", "title", "status", "detail", "errors": [{"field", "message", "value"}]}``,
where ``errors`` names each bad field by its path in the request (``0.identifiers.macs.1``
for the second MAC of the first Observation; ``query.limit`` for a query parameter)
with the value that was refused.
"""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from muster.api.errors import (
    ApiError,
    FieldProblem,
    InvalidRequestError,
    MalformedBodyError,
    NotAuthenticatedError,
    PayloadTooLargeError,
    PermissionDeniedError,
    UnsupportedEncodingError,
)
from muster.cmdb.errors import (
    ConfigurationError,
    DatabaseError,
    MusterError,
    NotFoundError,
    ObservationError,
    StateConflictError,
)
from muster.cmdb.observation import OBSERVATION_FIELDS, clean_validation_message

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://muster.invalid/problems/"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal server error",
    503: "Service unavailable",
}
# Longer refused values are cut, so a problem body stays small.
_MAX_VALUE = 200


class Problem(BaseModel):
    """An error response (RFC 9457 problem details)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)


def problem(
    status: int,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build a problem+json response."""
    title = TITLES.get(status, "Error")
    body = Problem(
        type=TYPE_BASE + title.lower().replace(" ", "-"),
        title=title,
        status=status,
        detail=detail,
        errors=errors or [],
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=dict(headers or {}),
    )


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can return."""
    return {
        code: {
            "description": TITLES.get(code, "Error"),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


def _short(value: Any) -> Any:
    value = jsonable_encoder(value)
    if isinstance(value, str) and len(value) > _MAX_VALUE:
        return value[:_MAX_VALUE] + "..."
    if isinstance(value, dict | list):
        return None
    return value


# Where an unknown field of a request body can be looked up.
_API_FIELDS = "see the OpenAPI document at /api/v1/openapi.json for the fields"


def validation_problems(
    exc: RequestValidationError, *, fields_hint: str = _API_FIELDS
) -> list[FieldProblem]:
    """Turn FastAPI's validation errors into field problems with paths and values."""
    problems = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] == "body":
            location = location[1:]
        field = ".".join(location) or "(body)"
        problems.append(
            FieldProblem(
                field=field,
                message=clean_validation_message(error, fields_hint=fields_hint),
                value=None if error.get("type") == "missing" else _short(error.get("input")),
            )
        )
    return problems


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            where = error.get("ctx", {}).get("error", "")
            return problem(400, f"the body is not valid JSON: {where}".rstrip(": "))
    observations = request.url.path.endswith("/observations")
    problems = validation_problems(
        exc, fields_hint=OBSERVATION_FIELDS if observations else _API_FIELDS
    )
    shown = "; ".join(f"{p.field}: {p.message}" for p in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return problem(422, f"the request is not valid: {shown}{more}", errors=problems)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    return problem(exc.status_code, detail, headers=exc.headers)


_STATUS: tuple[tuple[type[MusterError], int], ...] = (
    (NotAuthenticatedError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (StateConflictError, 409),
    (PayloadTooLargeError, 413),
    (UnsupportedEncodingError, 415),
    (MalformedBodyError, 400),
    (InvalidRequestError, 422),
    (ObservationError, 422),
    (ConfigurationError, 422),
    (DatabaseError, 503),
)


def status_of(exc: MusterError) -> int:
    """The HTTP status for one of Muster's exceptions, most specific class first."""
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


async def _on_muster(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MusterError)
    status = status_of(exc)
    headers = None
    if isinstance(exc, NotAuthenticatedError):
        headers = {"WWW-Authenticate": exc.challenge}
    if status >= 500:
        logger.error("%s %s failed: %s", request.method, request.url.path, exc)
    errors = exc.problems if isinstance(exc, ApiError) else None
    return problem(status, str(exc), errors=errors, headers=headers)


def install(app: FastAPI) -> None:
    """Make every error the app raises a problem+json response, documented in the OpenAPI."""
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(MusterError, _on_muster)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" not in schemas:
            schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas["Problem"] = schema
        return document

    app.openapi = openapi  # type: ignore[method-assign]
