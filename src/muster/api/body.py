"""Request bodies: size limits and decompression, shared by every route.

Compressed bodies are inflated in bounded steps, so a small gzip bomb is
refused as soon as its output passes the limit, without ever holding more
than that in memory.
"""

import zlib

from muster.api.errors import MalformedBodyError, PayloadTooLargeError, UnsupportedEncodingError

_CHUNK = 256 * 1024
# zlib window bits: 16 + MAX_WBITS reads gzip, MAX_WBITS reads zlib (RFC 1950).
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def inflate(data: bytes, encoding: str, limit: int) -> bytes:
    """Decompress a gzip or zlib body, refusing output over ``limit`` bytes."""
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise UnsupportedEncodingError(
            f"Content-Encoding {encoding!r} is not supported: send gzip, deflate or no encoding"
        )
    inflater = zlib.decompressobj(wbits)
    parts: list[bytes] = []
    size = 0
    pending = data
    try:
        while pending:
            chunk = inflater.decompress(pending, _CHUNK)
            size += len(chunk)
            if size > limit:
                raise PayloadTooLargeError(
                    f"the body inflates to more than {limit} bytes: send smaller batches"
                )
            parts.append(chunk)
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
        tail = inflater.flush()
    except zlib.error as exc:
        raise MalformedBodyError(f"the body is not valid {encoding} data: {exc}") from exc
    if not inflater.eof:
        raise MalformedBodyError(f"the body is truncated {encoding} data: it ends mid-stream")
    if size + len(tail) > limit:
        raise PayloadTooLargeError(
            f"the body inflates to more than {limit} bytes: send smaller batches"
        )
    parts.append(tail)
    return b"".join(parts)


def sniff_compression(data: bytes) -> str | None:
    """Tell a gzip or zlib stream by its first bytes, as third-party agents do."""
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if len(data) >= 2 and data[0] & 0x0F == 8 and int.from_bytes(data[:2], "big") % 31 == 0:
        return "deflate"
    return None
