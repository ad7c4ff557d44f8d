"""Requirements: what a site needs."""

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from muster.api.schemas.common import Changes


class RequirementCreate(BaseModel):
    """A site's need for a count of one kind, with an optional minimum spec."""

    model_config = ConfigDict(extra="forbid")

    site: str = Field(min_length=1, max_length=32, examples=["lincoln-es"])
    kind: str = Field(min_length=1, max_length=32, examples=["workstation"])
    count: int = Field(ge=0, le=1_000_000)
    min_memory_bytes: int | None = Field(None, ge=0, le=2**62)
    min_cpu_cores: int | None = Field(None, ge=0, le=100_000)
    os_family: str | None = Field(None, max_length=64)
    max_age_years: int | None = Field(None, ge=0, le=100)
    note: str | None = Field(None, max_length=1000)
    label: str | None = Field(None, max_length=64, description="Tells lines of one kind apart.")


class RequirementUpdate(Changes):
    """Changes to a requirement; fields left out stay as they are."""

    NOT_NULL = ("site", "kind", "count")

    site: str | SkipJsonSchema[None] = Field(None, min_length=1, max_length=32)
    kind: str | SkipJsonSchema[None] = Field(None, min_length=1, max_length=32)
    count: int | SkipJsonSchema[None] = Field(None, ge=0, le=1_000_000)
    min_memory_bytes: int | None = Field(None, ge=0, le=2**62)
    min_cpu_cores: int | None = Field(None, ge=0, le=100_000)
    os_family: str | None = Field(None, max_length=64)
    max_age_years: int | None = Field(None, ge=0, le=100)
    note: str | None = Field(None, max_length=1000)
    label: str | None = Field(None, max_length=64)
