"""Conflicts: resolving one by hand."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ConflictResolve(BaseModel):
    """How to resolve a conflict: merge its two assets, or keep them apart."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["merge", "keep_apart"]
    note: str | None = Field(None, max_length=1000, description="Why, for the history.")
