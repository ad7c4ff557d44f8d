"""Errors only the API raises, on top of the CMDB's exception root.

MusterError
└── ApiError                    carries the refused fields, if any
    ├── NotAuthenticatedError   no token, or one that is unknown or revoked (401)
    ├── PermissionDeniedError   a valid token without the scope or site needed (403)
    ├── PayloadTooLargeError    a body, compressed or not, over the size limit (413)
    ├── MalformedBodyError      a body that cannot be decompressed or decoded (400)
    ├── UnsupportedEncodingError  a Content-Encoding the API does not speak (415)
    └── InvalidRequestError     a well-formed request whose content is refused (422)
"""

from typing import Any

from pydantic import BaseModel, Field

from muster.cmdb.errors import MusterError


class FieldProblem(BaseModel):
    """One refused field: where it is in the request, what is wrong, the value given."""

    field: str = Field(description="Path of the field, e.g. 0.identifiers.macs.1 or query.limit.")
    message: str
    value: Any = Field(None, description="The value refused, when there was one.")


class ApiError(MusterError):
    """An error of the API, with the fields it refused."""

    def __init__(self, message: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class NotAuthenticatedError(ApiError):
    """The request carries no usable token; ``challenge`` goes in WWW-Authenticate."""

    challenge = 'Bearer realm="muster"'


class BasicAuthRequiredError(NotAuthenticatedError):
    """A third-party agent must send its token as the Basic password."""

    challenge = 'Basic realm="muster"'


class PermissionDeniedError(ApiError):
    """The token is valid but may not do this."""


class PayloadTooLargeError(ApiError):
    """The request body is over the size limit."""


class MalformedBodyError(ApiError):
    """The request body cannot be decompressed or decoded."""


class UnsupportedEncodingError(ApiError):
    """The request body uses a Content-Encoding the API does not accept."""


class InvalidRequestError(ApiError):
    """The request is well-formed, but its content is refused."""
