"""Operating-system families: the one vocabulary requirements use, and OS names mapped to it.

A requirement may ask for an OS family rather than a release: windows,
macos, chromeos, ios, android, linux or bsd (``OsFamily``; ``parse_os_family``
reads a family as a person types it, from the CLI, the API or the
requirements file alike). An asset's family is read from its OS name as
sources report it ("Microsoft Windows 11 Pro", "Debian GNU/Linux 12
(bookworm)", "macOS 14.5") by ``family_of`` alone, the function the gap
report judges assets with. The patterns are tried in order, so "Chrome OS"
is not taken for Linux.
"""

import re
from enum import StrEnum


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
    """Map a family as typed ("Windows", "mac-os") to an OsFamily, or raise ValueError."""
    key = text.strip().lower().replace("-", "").replace(" ", "").replace("_", "")
    try:
        return OsFamily(key)
    except ValueError as exc:
        choices = ", ".join(f.value for f in OsFamily)
        raise ValueError(f"{text!r} is not an OS family: expected one of {choices}") from exc
