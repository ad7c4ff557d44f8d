"""``/api/v1/inventory``: FusionInventory and GLPI agents use Muster as their server, unchanged.

One URL for both: the body tells the formats apart (XML is FusionInventory's
OCS protocol, JSON the GLPI agent's). Bodies come zlib- or gzip-compressed or
plain, and the reply goes back in the same encoding. The agents authenticate
with HTTP Basic, an ingest token as the password (they send it after the
401 challenge). Errors once the format is known are answered in it
(``<REPLY><ERROR>`` or ``{"status": "error"}``) so the agent logs them.
"""

import gzip
import logging
import zlib
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from muster.api.body import inflate, sniff_compression
from muster.api.deps import AgentIngester, DatabaseDep, SettingsDep
from muster.api.errors import InvalidRequestError, MalformedBodyError
from muster.api.ingesting import ingest_for
from muster.api.inventory import fusioninventory, glpi
from muster.api.inventory.content import Content, to_observation
from muster.api.problems import responses, status_of
from muster.cmdb.db import Database
from muster.cmdb.errors import MusterError
from muster.cmdb.sources import Source
from muster.cmdb.tokens import Principal

logger = logging.getLogger(__name__)

router = APIRouter(tags=["inventory"])

_PACKED = {"deflate": "application/x-compress-zlib", "gzip": "application/x-compress-gzip"}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
_GLPI_REPLY = {
    "schema": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string"}, "message": {"type": "string"}},
    }
}
_REPLIES = {
    "application/xml": {"schema": {"type": "string"}},
    "application/json": _GLPI_REPLY,
    **dict.fromkeys(_PACKED.values(), _BINARY),
}
_AGENT_ERRORS = {
    code: {**spec, "content": {**spec["content"], **_REPLIES}}
    for code, spec in responses(400, 403, 422).items()
}
OPENAPI_EXTRA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A FusionInventory XML or GLPI agent JSON message, plain or compressed.",
        "content": {
            "application/xml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
            **dict.fromkeys(_PACKED.values(), _BINARY),
        },
    }
}


@router.post(
    "/inventory",
    response_class=Response,
    responses={
        200: {"description": "The agent's reply", "content": _REPLIES},
        **responses(401, 413, 415),
        **_AGENT_ERRORS,
    },
    openapi_extra=OPENAPI_EXTRA,
)
async def inventory(
    request: Request, caller: AgentIngester, database: DatabaseDep, settings: SettingsDep
) -> Response:
    """Take a FusionInventory 2.6 or GLPI agent message: answer its contact, ingest its inventory.

    Point the agent at this URL with `--user muster --password TOKEN`, the
    token having the ingest scope.
    """
    raw = await request.body()
    encoding = sniff_compression(raw)
    document = inflate(raw, encoding, settings.max_decompressed_bytes) if encoding else raw
    start = document.lstrip()[:1]
    if start == b"<":
        body, media, status = await run_in_threadpool(_fusioninventory, document, caller, database)
    elif start == b"{":
        body, media, status = await run_in_threadpool(_glpi, document, caller, database)
    else:
        raise MalformedBodyError(
            "the body is neither FusionInventory XML nor GLPI agent JSON: point only "
            "FusionInventory 2.6 or GLPI agents at this URL"
        )
    if encoding == "deflate":
        body, media = zlib.compress(body), _PACKED["deflate"]
    elif encoding == "gzip":
        body, media = gzip.compress(body), _PACKED["gzip"]
    return Response(body, status_code=status, media_type=media)


def _fusioninventory(
    document: bytes, caller: Principal, database: Database
) -> tuple[bytes, str, int]:
    try:
        query, device, content = fusioninventory.parse(document)
        if query == "PROLOG":
            hours = str(fusioninventory.PROLOG_FREQ_HOURS)
            return (
                fusioninventory.reply(PROLOG_FREQ=hours, RESPONSE="SEND"),
                "application/xml",
                200,
            )
        if query != "INVENTORY":
            raise InvalidRequestError(
                f"query {query!r} is not supported: Muster takes PROLOG and INVENTORY"
            )
        _ingest(content, Source.FUSIONINVENTORY, device, caller, database)
        return fusioninventory.reply(RESPONSE="NO_ACCOUNT_UPDATE"), "application/xml", 200
    except MusterError as exc:
        logger.warning("refused a FusionInventory message from %r: %s", caller.name, exc)
        return fusioninventory.reply(ERROR=str(exc)), "application/xml", status_of(exc)


def _glpi(document: bytes, caller: Principal, database: Database) -> tuple[bytes, str, int]:
    expiration = glpi.EXPIRATION_HOURS
    try:
        action, device, content = glpi.parse(document)
        if action == "contact":
            tasks = {"inventory": {"server": "glpi", "version": "1.0"}}
            return glpi.reply("ok", expiration=expiration, tasks=tasks), "application/json", 200
        if action != "inventory":
            raise InvalidRequestError(
                f"action {action!r} is not supported: Muster takes contact and inventory"
            )
        _ingest(content, Source.GLPI, device, caller, database)
        return glpi.reply("ok", expiration=expiration), "application/json", 200
    except MusterError as exc:
        logger.warning("refused a GLPI agent message from %r: %s", caller.name, exc)
        return glpi.reply("error", message=str(exc)), "application/json", status_of(exc)


def _ingest(
    content: Content, source: Source, device: str | None, caller: Principal, database: Database
) -> None:
    observation = to_observation(
        content, source=source, observed_at=datetime.now(UTC), collector=device
    )
    with database.session(writer=True) as session:
        report = ingest_for(session, caller, [observation])
    decision = report.decisions[0]
    logger.info("%s inventory from %s: %s", source.value, device, decision.explanation)
