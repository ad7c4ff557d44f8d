"""Sites: create, change, show."""

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from muster.cmdb.sites import SiteView
from muster.cmdb.updates import Changes


class SiteCreate(BaseModel):
    """A new site."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32, examples=["lincoln-es"])
    name: str = Field(min_length=1, max_length=255, examples=["Lincoln Elementary"])
    contact: str | None = Field(None, max_length=255)
    subnets: list[str] = Field(default_factory=list, examples=[["10.10.0.0/22"]])


class SiteUpdate(Changes):
    """Changes to a site; ``subnets`` replaces the whole set when given."""

    NOT_NULL = ("name",)

    name: str | SkipJsonSchema[None] = Field(None, min_length=1, max_length=255)
    contact: str | None = Field(None, max_length=255)
    subnets: list[str] | None = None


SitePublic = SiteView
