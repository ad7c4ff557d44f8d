"""The API's limits and options, with defaults fit for a school district."""

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class ApiSettings:
    """Limits that protect the server from oversized or hostile requests."""

    # A request body as sent, compressed or not.
    max_body_bytes: int = 16 * MIB
    # A body after decompression: a gzip bomb is refused once it passes this.
    max_decompressed_bytes: int = 64 * MIB
    # Observations in one ingest request; larger loads go in several batches.
    max_batch: int = 10_000
