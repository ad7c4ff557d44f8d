"""``/api/v1/observations``: batch ingest, with idempotency keys and gzip bodies.

The whole batch is reconciled in one transaction: if any Observation is
refused (malformed, an unknown site, a site the token is not bound to),
nothing is written.
"""

import logging
from typing import Annotated

from fastapi import APIRouter, Header

from muster.api.deps import DatabaseDep, Ingester, SettingsDep
from muster.api.errors import PayloadTooLargeError
from muster.api.ingesting import ingest_for
from muster.api.problems import responses
from muster.api.schemas.observations import IngestResponse, ObservationIn
from muster.cmdb.idempotency import (
    request_digest,
    store_response,
    stored_response,
)
from muster.cmdb.ingest import lock_for_ingest

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/observations", tags=["observations"])

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retries with the same key and body get the first response back.",
    ),
]


@router.post("", responses=responses(400, 401, 403, 409, 413, 415, 422))
def ingest_observations(
    observations: list[ObservationIn],
    caller: Ingester,
    database: DatabaseDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> IngestResponse:
    """Reconcile a batch of Observations into the CMDB and explain each decision.

    The body is a JSON array of Observations (muster.observation/1), optionally
    compressed (``Content-Encoding: gzip``). With ``Idempotency-Key``, sending
    the same batch again returns the stored response with ``replayed: true``.
    """
    if len(observations) > settings.max_batch:
        raise PayloadTooLargeError(
            f"{len(observations)} Observations in one request is over the limit of "
            f"{settings.max_batch}: send them in several batches"
        )
    digest = request_digest(observation.content_hash() for observation in observations)
    with database.session(writer=True) as session:
        lock_for_ingest(session)
        if idempotency_key is not None:
            stored = stored_response(session, caller.token_id, idempotency_key, digest)
            if stored is not None:
                return IngestResponse.model_validate({**stored, "replayed": True})
        report = ingest_for(session, caller, observations)
        response = IngestResponse(
            decisions=report.decisions, counts=report.counts(), replayed=False
        )
        if idempotency_key is not None:
            store_response(
                session,
                caller.token_id,
                idempotency_key,
                digest,
                response.model_dump(mode="json"),
            )
    logger.info("token %r ingested %d observations", caller.name, len(observations))
    return response
