"""Ingest: a batch of Observations in, one explained Decision per Observation out."""

from pydantic import BaseModel, ConfigDict, Field

from muster.cmdb.observation import Observation
from muster.cmdb.results import Decision


class ObservationIn(Observation):
    """An Observation (muster.observation/1) as posted to the API."""

    # The published schema's $id would re-base references inside the OpenAPI document.
    model_config = ConfigDict(json_schema_extra=None, title="Observation")


class IngestResponse(BaseModel):
    """What ingest did with a batch, and whether this is a replay of a stored answer."""

    decisions: list[Decision]
    counts: dict[str, int] = Field(
        description="Observations per outcome: created, updated, unchanged, conflict."
    )
    replayed: bool = Field(
        description="True when this answers a retry with the same Idempotency-Key."
    )
