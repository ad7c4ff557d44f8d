"""Sites: create, change, show."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from muster.cmdb.sites import SiteView
from muster.cmdb.updates import Changes


class SweepSettings(BaseModel):
    """How the collector sweeps a site; left out, a setting keeps its value (or default)."""

    exclusions: list[str] | None = Field(None, max_length=1024, examples=[["10.10.0.1"]])
    profile: Literal["liveness", "quick", "standard", "full"] | None = None
    techniques: list[Literal["arp", "icmp", "tcp", "syn", "nmap", "snmp"]] | None = None
    port_profile: Literal["none", "minimal", "common", "extended"] | None = None
    ports: list[Annotated[int, Field(ge=1, le=65535)]] | None = Field(None, max_length=1024)
    rate_limit: Annotated[int, Field(ge=1, le=100_000)] | None = None
    priority: Annotated[int, Field(ge=-1000, le=1000)] | None = None
    allow_public: bool | None = None
    schedule: str | None = Field(None, max_length=128, examples=["0 6 * * 1-5"])

    def sweep_changes(self) -> dict[str, Any]:
        """The sweep settings given in the request."""
        return {
            name: value
            for name, value in self.model_dump(exclude_unset=True).items()
            if name in SweepSettings.model_fields
        }


class SiteCreate(SweepSettings):
    """A new site."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32, examples=["lincoln-es"])
    name: str = Field(min_length=1, max_length=255, examples=["Lincoln Elementary"])
    contact: str | None = Field(None, max_length=255)
    subnets: list[str] = Field(default_factory=list, examples=[["10.10.0.0/22"]])


class SiteUpdate(Changes, SweepSettings):
    """Changes to a site; ``subnets`` and ``exclusions`` replace the whole set when given."""

    NOT_NULL = ("name", "profile", "port_profile", "rate_limit", "priority", "allow_public")

    name: str | SkipJsonSchema[None] = Field(None, min_length=1, max_length=255)
    contact: str | None = Field(None, max_length=255)
    subnets: list[str] | None = None


SitePublic = SiteView
