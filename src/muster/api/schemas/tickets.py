"""Ticket links: an external ticket tied to an asset or to a site's shortfall."""

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from muster.api.schemas.common import Changes


class TicketLinkCreate(BaseModel):
    """A ticket to tie to an asset (asset_id) or to a site's shortfall (site and kind)."""

    model_config = ConfigDict(extra="forbid")

    system: str = Field(min_length=1, max_length=64, examples=["zammad"])
    key: str = Field(min_length=1, max_length=128, examples=["INC-1042"])
    url: str | None = Field(None, max_length=1024)
    status: str | None = Field(None, max_length=64)
    asset_id: int | None = Field(None, ge=1, le=2**31 - 1)
    site: str | None = Field(None, min_length=1, max_length=32)
    kind: str | None = Field(None, min_length=1, max_length=32)


class TicketLinkUpdate(Changes):
    """Changes to a ticket link; fields left out stay as they are."""

    NOT_NULL = ("system", "key")

    system: str | SkipJsonSchema[None] = Field(None, min_length=1, max_length=64)
    key: str | SkipJsonSchema[None] = Field(None, min_length=1, max_length=128)
    url: str | None = Field(None, max_length=1024)
    status: str | None = Field(None, max_length=64)
