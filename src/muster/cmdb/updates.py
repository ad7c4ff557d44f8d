"""The base of change bodies (an API PATCH, a CLI edit): fields left out stay as they are."""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class Changes(BaseModel):
    """Changes to a record: fields left out stay as they are.

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

    def given(self) -> dict[str, Any]:
        """The fields the caller set, with their values."""
        return self.model_dump(exclude_unset=True)
