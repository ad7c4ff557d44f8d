"""Shapes shared by every resource: a page of a list."""

from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """One page of a list, and how many items match in all."""

    items: list[Item]
    total: int = Field(description="How many items match, on every page.")
    limit: int
    offset: int


class Changes(BaseModel):
    """Base of the change (PATCH) bodies: fields left out stay as they are.

    Fields listed in ``NOT_NULL`` may be left out but not set to null, since
    the record cannot be without them.
    """

    model_config = ConfigDict(extra="forbid")
    NOT_NULL: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _refuse_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in cls.NOT_NULL:
                if name in data and data[name] is None:
                    raise ValueError(f"{name} may be left out, but not set to null")
        return data
