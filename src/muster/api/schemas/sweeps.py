"""Bodies of the sweep resource: what starting a sweep takes."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, IPvAnyAddress

Technique = Literal["arp", "icmp", "tcp", "syn", "nmap", "snmp"]


class SweepStart(BaseModel):
    """Start sweeping one site now; the sweep runs on in the server."""

    model_config = ConfigDict(extra="forbid")

    site: Annotated[str, Field(min_length=1, max_length=32, description="The site's code.")]
    targets: (
        Annotated[
            list[IPvAnyAddress],
            Field(
                min_length=1,
                max_length=4096,
                description="Only these addresses (each still checked against the site's scope).",
            ),
        ]
        | None
    ) = None
    techniques: (
        Annotated[
            list[Technique],
            Field(min_length=1, max_length=6, description="Instead of the site's profile."),
        ]
        | None
    ) = None
