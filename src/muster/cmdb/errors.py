"""Muster's exceptions: one root, so callers can catch everything of ours at once.

MusterError
├── ObservationError        an Observation is malformed (names field and value)
├── ConfigurationError      a setting or file is wrong; the message says how to fix it
├── DatabaseError           the CMDB could not be reached or is not at the expected schema
│   └── SchemaOutOfDateError    the database needs ``muster db upgrade``
├── NotFoundError           a site, asset or other record does not exist
└── StateConflictError      the request contradicts what is stored (a record that
                            already exists, a reused idempotency key)
"""


class MusterError(Exception):
    """Root of every exception Muster raises on purpose."""


class ObservationError(MusterError):
    """An Observation, or a file of them, is malformed."""


class UnknownSiteError(ObservationError):
    """An Observation names a site that does not exist."""

    def __init__(self, index: int, code: str) -> None:
        super().__init__(
            f"observation {index}: site {code!r} does not exist: add it with "
            f"`muster site add {code} --name NAME --subnet CIDR`, or leave `site` out to "
            "place the device by its address"
        )
        self.index = index
        self.code = code


class ConfigurationError(MusterError):
    """A setting, a file path or a command-line value is wrong."""


class DatabaseError(MusterError):
    """The CMDB database could not be used."""


class ConnectionLostError(DatabaseError):
    """A connection to the database server died (the server restarted, say)."""


class SchemaOutOfDateError(DatabaseError):
    """The database schema is older than this version of Muster."""


class NotFoundError(MusterError):
    """A requested record does not exist."""


class StateConflictError(MusterError):
    """The request contradicts what the CMDB holds; the message says what and how to proceed."""
