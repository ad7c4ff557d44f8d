"""Shapes shared by every resource: a page of a list."""

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """One page of a list, and how many items match in all."""

    items: list[Item]
    total: int = Field(description="How many items match, on every page.")
    limit: int
    offset: int
