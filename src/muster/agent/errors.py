"""Why an inventory was not delivered, so the agent knows to retry, keep or set it aside.

MusterError
└── DeliveryError             the inventory did not reach the CMDB; it stays in the spool
    ├── ServerUnavailableError     no connection, a timeout, 408, 429 or 5xx: retry with backoff
    ├── TlsError              the server's certificate could not be verified: fix --ca-file
    ├── TokenRejectedError         401 or 403: the token is wrong; retrying cannot help
    ├── InventoryRefusedError      413 or 422: never accepted; moved to the rejected folder
    └── UnexpectedAnswerError      any other answer: kept, and tried again on the next run
"""

from muster.cmdb.errors import MusterError


class DeliveryError(MusterError):
    """An inventory did not reach the CMDB."""


class ServerUnavailableError(DeliveryError):
    """The server could not be reached or asked to come back later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TlsError(DeliveryError):
    """The server's TLS certificate could not be verified."""


class TokenRejectedError(DeliveryError):
    """The server refused the agent's token."""


class InventoryRefusedError(DeliveryError):
    """The server will never accept this inventory (too large, or not valid)."""


class UnexpectedAnswerError(DeliveryError):
    """The server answered in a way the delivery contract does not describe."""
