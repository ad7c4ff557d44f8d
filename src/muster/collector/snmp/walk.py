"""Raw SNMP data as the parsers see it: OIDs, values, walks, and the snmprec file format.

A ``Walk`` is what one device answered: a sorted mapping from OID to value,
whether it came over the network (``transport``) or from a recorded file
(``read_snmprec``). Parsers only ever see a Walk, so every parser can be
tested from a recording without a network.

Values are plain Python: ``int`` for INTEGER, Counter, Gauge and TimeTicks,
``bytes`` for OCTET STRING and Opaque, ``Oid`` (a tuple of ints) for OBJECT
IDENTIFIER, and ``ipaddress.IPv4Address`` for IpAddress.

The snmprec format (snmpsim's) is one ``OID|TAG|VALUE`` per line, TAG the
ASN.1 tag number, with an ``x`` suffix when VALUE is hex; e.g.
``1.3.6.1.2.1.1.5.0|4|core-sw1``.
"""

import bisect
import ipaddress
import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from muster.cmdb.errors import ConfigurationError

logger = logging.getLogger(__name__)

Oid = tuple[int, ...]
Value = int | bytes | Oid | ipaddress.IPv4Address

# snmprec tags, by ASN.1 application tag number.
INTEGER, OCTET_STRING, NULL, OBJECT_ID = 2, 4, 5, 6
IP_ADDRESS, COUNTER32, GAUGE32, TIMETICKS, OPAQUE, COUNTER64 = 64, 65, 66, 67, 68, 70
_INTEGER_TAGS = frozenset({INTEGER, COUNTER32, GAUGE32, TIMETICKS, COUNTER64})


def parse_oid(text: str) -> Oid:
    """Turn dotted text (``1.3.6.1.2.1.1.2.0``, a leading dot allowed) into an Oid."""
    try:
        return tuple(int(part) for part in text.strip().lstrip(".").split("."))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an OID: expected dotted numbers") from exc


def format_oid(oid: Oid) -> str:
    """Return an Oid as dotted text."""
    return ".".join(str(part) for part in oid)


class Walk(Mapping[Oid, Value]):
    """What a device answered, by OID, with fast access to table columns."""

    def __init__(self, varbinds: Iterable[tuple[Oid, Value]] = ()) -> None:
        self._values: dict[Oid, Value] = dict(varbinds)
        self._keys = sorted(self._values)

    def __getitem__(self, oid: Oid) -> Value:
        return self._values[oid]

    def __iter__(self) -> Iterator[Oid]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def merged(self, varbinds: Iterable[tuple[Oid, Value]]) -> "Walk":
        """Return a Walk with more varbinds added."""
        return Walk([*self._values.items(), *varbinds])

    def column(self, prefix: Oid) -> dict[Oid, Value]:
        """Return the rows under a column OID, keyed by their index (the OID past the prefix)."""
        start = bisect.bisect_left(self._keys, prefix)
        rows: dict[Oid, Value] = {}
        size = len(prefix)
        for oid in self._keys[start:]:
            if oid[:size] != prefix:
                break
            if len(oid) > size:
                rows[oid[size:]] = self._values[oid]
        return rows

    def has_subtree(self, prefix: Oid) -> bool:
        """Tell whether the device answered anything under an OID."""
        start = bisect.bisect_left(self._keys, prefix)
        return start < len(self._keys) and self._keys[start][: len(prefix)] == prefix

    def text(self, oid: Oid) -> str | None:
        """Return an OCTET STRING scalar as text, or None when absent or empty."""
        return as_text(self._values.get(oid))

    def integer(self, oid: Oid) -> int | None:
        """Return an integer scalar, or None when absent or of another type."""
        value = self._values.get(oid)
        return value if isinstance(value, int) else None

    def object_id(self, oid: Oid) -> Oid | None:
        """Return an OBJECT IDENTIFIER scalar, or None when absent or of another type."""
        value = self._values.get(oid)
        return value if isinstance(value, tuple) else None


def as_text(value: Value | None) -> str | None:
    """Decode an OCTET STRING as text (UTF-8, else Latin-1), trimmed; None when empty."""
    if not isinstance(value, bytes):
        return None
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value.decode("latin-1")
    # Agents pad with NULs and line breaks; neither belongs in a name.
    text = text.replace("\x00", "").strip()
    return text or None


def as_mac(value: Value | None) -> str | None:
    """Return a six-octet OCTET STRING as a MAC in colon notation, or None."""
    if not isinstance(value, bytes) or len(value) != 6 or value == bytes(6):
        return None
    return ":".join(f"{octet:02x}" for octet in value)


def read_snmprec(path: Path) -> Walk:
    """Read an snmprec file into a Walk; variation-module lines are skipped."""
    try:
        lines = path.read_text(encoding="latin-1").splitlines()
    except OSError as exc:
        raise ConfigurationError(f"cannot read SNMP recording {str(path)!r}: {exc}") from exc
    return Walk(parse_snmprec(lines, name=str(path)))


def parse_snmprec(lines: Iterable[str], *, name: str = "snmprec") -> Iterator[tuple[Oid, Value]]:
    """Parse snmprec lines into (OID, value) pairs."""
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            oid_text, tag_text, value_text = line.split("|", 2)
        except ValueError as exc:
            raise ConfigurationError(
                f"{name}: line {number}: expected OID|TAG|VALUE, got {line[:80]!r}"
            ) from exc
        if ":" in tag_text:
            logger.debug("%s: line %d: variation record skipped", name, number)
            continue
        hexed = tag_text.endswith("x")
        try:
            tag = int(tag_text.removesuffix("x"))
            value = _snmprec_value(tag, value_text, hexed)
        except ValueError as exc:
            raise ConfigurationError(f"{name}: line {number}: {exc}") from exc
        if value is not None:
            yield parse_oid(oid_text), value


def _snmprec_value(tag: int, text: str, hexed: bool) -> Value | None:
    raw = bytes.fromhex(text) if hexed else text.encode("latin-1")
    if tag in _INTEGER_TAGS:
        return int(raw.decode())
    if tag in (OCTET_STRING, OPAQUE):
        return raw
    if tag == OBJECT_ID:
        return parse_oid(raw.decode())
    if tag == IP_ADDRESS:
        if hexed:
            return ipaddress.IPv4Address(raw)
        return ipaddress.IPv4Address(raw.decode())
    if tag == NULL or tag >= 128:
        return None
    raise ValueError(f"unknown snmprec type tag {tag!r}")


def snmprec_lines(walk: Mapping[Oid, Value]) -> Iterator[str]:
    """Render a Walk as snmprec lines, binary strings as hex."""
    for oid, value in sorted(walk.items()):
        if isinstance(value, bool):
            raise TypeError(f"{format_oid(oid)}: a bool is not an SNMP value")
        if isinstance(value, int):
            tag = INTEGER if -(2**31) <= value < 2**31 else COUNTER64
            yield f"{format_oid(oid)}|{tag}|{value}"
        elif isinstance(value, tuple):
            yield f"{format_oid(oid)}|{OBJECT_ID}|{format_oid(value)}"
        elif isinstance(value, ipaddress.IPv4Address):
            yield f"{format_oid(oid)}|{IP_ADDRESS}|{value}"
        elif value.isascii() and value.decode().isprintable() and "|" not in value.decode():
            yield f"{format_oid(oid)}|{OCTET_STRING}|{value.decode()}"
        else:
            yield f"{format_oid(oid)}|{OCTET_STRING}x|{value.hex()}"
