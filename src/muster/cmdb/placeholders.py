"""Values that firmware and tools put where a real identifier is missing.

Such a value is kept in the raw Observation but never used to tell machines
apart: thousands of boards ship with "To Be Filled By O.E.M." as their serial,
and treating it as one would glue them all into one asset. This is the one
place these lists live; each entry has its own test.
"""

import re

# Compared after folding case and collapsing whitespace.
PLACEHOLDER_SERIALS: frozenset[str] = frozenset(
    {
        "to be filled by o.e.m.",
        "to be filled by o.e.m",
        "to be filled by oem",
        "default string",
        "system serial number",
        "chassis serial number",
        "base board serial number",
        "serial number",
        "serial",
        "sn",
        "s/n",
        "none",
        "null",
        "n/a",
        "na",
        "not specified",
        "not applicable",
        "not available",
        "not present",
        "not settable",
        "unknown",
        "invalid",
        "empty",
        "oem",
        "o.e.m.",
        "default",
        "type1sku0",
        "0123456789",
        "123456789",
        "1234567890",
        "12345678",
        "no asset tag",
        "ffffffff",
    }
)

PLACEHOLDER_UUIDS: frozenset[str] = frozenset(
    {
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        # Boards of several makers ship these byte-counting patterns.
        "03000200-0400-0500-0006-000700080009",
        "00020003-0004-0005-0006-000700080009",
        "01020304-0506-0708-0910-111213141516",
        # Dell derives its UUID from the service tag; a blank tag gives this.
        "4c4c4544-0000-2010-8020-80c04f202020",
        "12345678-1234-5678-90ab-cddeefaabbcc",
    }
)

# Board and system vendor fields left at the firmware default.
PLACEHOLDER_VENDORS: frozenset[str] = frozenset(
    {
        "to be filled by o.e.m.",
        "to be filled by o.e.m",
        "to be filled by oem",
        "system manufacturer",
        "system vendor",
        "default string",
        "oem",
        "o.e.m.",
        "not specified",
        "not applicable",
        "unknown",
        "none",
        "n/a",
    }
)

# One character repeated ("0000000", "XXXXXXXX", "........") is never a serial.
_REPEATED = re.compile(r"^(.)\1*$")


def is_placeholder_serial(serial: str) -> bool:
    """Tell whether a serial number is a firmware placeholder rather than a real one."""
    folded = " ".join(serial.lower().split())
    return folded in PLACEHOLDER_SERIALS or bool(_REPEATED.match(folded)) or len(folded) < 3


def is_placeholder_vendor(vendor: str) -> bool:
    """Tell whether a vendor name is a firmware placeholder rather than a maker."""
    return " ".join(vendor.lower().split()) in PLACEHOLDER_VENDORS


def is_placeholder_uuid(uuid: str) -> bool:
    """Tell whether a canonical (lower-case, hyphenated) system UUID is a placeholder."""
    return uuid in PLACEHOLDER_UUIDS or bool(_REPEATED.match(uuid.replace("-", "")))
