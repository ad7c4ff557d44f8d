"""Operating-system families: the words requirements use, and how an OS name maps to one.

A requirement may ask for an OS family ("windows", "linux", ...) rather than
a release; an asset's family is read from its OS name as sources report it
("Microsoft Windows 11 Pro", "Debian GNU/Linux 12 (bookworm)", "macOS 14.5").
The patterns are tried in order, so "Chrome OS" is not taken for Linux.
"""

import re
from enum import StrEnum

from muster.cmdb.errors import ConfigurationError


class OsFamily(StrEnum):
    """A family of operating systems."""

    WINDOWS = "windows"
    MACOS = "macos"
    CHROMEOS = "chromeos"
    IOS = "ios"
    ANDROID = "android"
    LINUX = "linux"
    BSD = "bsd"


# (family, case-insensitive pattern over the OS name), tried in this order.
FAMILY_PATTERNS: tuple[tuple[OsFamily, str], ...] = (
    (OsFamily.WINDOWS, r"windows"),
    (OsFamily.MACOS, r"mac ?os|os x|darwin"),
    (OsFamily.CHROMEOS, r"chrom(?:e|ium) ?os"),
    # Anchored, so that "Cisco IOS" on a switch is not taken for Apple's.
    (OsFamily.IOS, r"^(?:apple )?(?:ipad ?os|iphone ?os|ios)\b"),
    (OsFamily.ANDROID, r"android"),
    (
        OsFamily.LINUX,
        r"linux|debian|ubuntu|red ?hat|rhel|centos|fedora|suse|alpine|mint|rocky|alma|raspbian",
    ),
    (OsFamily.BSD, r"bsd"),
)
_COMPILED = tuple(
    (family, re.compile(pattern, re.IGNORECASE)) for family, pattern in FAMILY_PATTERNS
)


def family_of(os_name: str | None) -> OsFamily | None:
    """Return the family of an OS name as a source reported it, None when not recognised."""
    if not os_name:
        return None
    for family, pattern in _COMPILED:
        if pattern.search(os_name):
            return family
    return None


def parse_os_family(text: str) -> OsFamily:
    """Map a family as typed ("Windows", "mac-os") to an OsFamily, or say which exist."""
    key = text.strip().lower().replace("-", "").replace(" ", "").replace("_", "")
    try:
        return OsFamily(key)
    except ValueError as exc:
        choices = ", ".join(f.value for f in OsFamily)
        raise ConfigurationError(f"OS family {text!r} is not known: use one of {choices}") from exc
