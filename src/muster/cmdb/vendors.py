"""One name per vendor, whatever a source calls it.

DMI says "Hewlett-Packard", SNMP's enterprise registry "HP", the OUI registry
"HEWLETT PACKARD"; reports must count them together. Names are folded by
removing legal suffixes and punctuation, then matched against known aliases,
longest first. An unknown vendor keeps its own name without the suffixes.
"""

import re
from functools import lru_cache

from muster.cmdb.placeholders import is_placeholder_vendor

# canonical name -> folded alias prefixes (lower case, words separated by one space)
_ALIASES: dict[str, tuple[str, ...]] = {
    "HPE": ("hewlett packard enterprise", "hpe", "hp enterprise"),
    "HP": ("hewlett packard", "hewlettpackard", "hp", "hp inc"),
    "Dell": ("dell", "dell computer", "dell emc"),
    "Lenovo": ("lenovo",),
    "Cisco Meraki": ("cisco meraki", "meraki"),
    "Cisco": ("cisco", "ciscosystems", "cisco systems"),
    "Microsoft": ("microsoft",),
    "VMware": ("vmware",),
    "Oracle": ("oracle", "innotek"),
    "QEMU": ("qemu",),
    "ASUS": ("asustek", "asus"),
    "Gigabyte": ("gigabyte", "giga byte"),
    "MSI": ("micro star", "msi"),
    "Acer": ("acer",),
    "Apple": ("apple",),
    "Ubiquiti": ("ubiquiti",),
    "Aruba": ("aruba",),
    "Juniper": ("juniper",),
    "Brother": ("brother",),
    "Canon": ("canon",),
    "Xerox": ("xerox", "fuji xerox"),
    "Ricoh": ("ricoh",),
    "Kyocera": ("kyocera",),
    "Lexmark": ("lexmark",),
    "Epson": ("seiko epson", "epson"),
    "APC": ("american power conversion", "apc", "schneider electric it"),
    "Eaton": ("eaton",),
    "Netgear": ("netgear",),
    "TP-Link": ("tp link", "tplink"),
    "Intel": ("intel",),
    "Realtek": ("realtek",),
    "Supermicro": ("super micro", "supermicro"),
    "Fujitsu": ("fujitsu",),
    "Samsung": ("samsung",),
    "Toshiba": ("toshiba",),
    "Axis": ("axis communications", "axis"),
    "Hikvision": ("hangzhou hikvision", "hikvision"),
    "Poly": ("polycom", "poly"),
    "Yealink": ("yealink", "xiamen yealink"),
    "Fortinet": ("fortinet",),
    "Palo Alto Networks": ("palo alto networks",),
    "SonicWall": ("sonicwall", "sonicwall"),
    "MikroTik": ("mikrotik", "routerboard"),
    "Extreme Networks": ("extreme networks",),
    "Ruckus": ("ruckus",),
    "Raspberry Pi": ("raspberry pi",),
    "Synology": ("synology",),
    "QNAP": ("qnap",),
    "Google": ("google",),
    "Net-SNMP": ("net snmp", "netsnmp", "ucd snmp"),
}

_LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "gmbh",
        "ag",
        "ab",
        "sa",
        "srl",
        "bv",
        "nv",
        "plc",
        "kk",
        "pty",
        "oy",
        "as",
    }
)

_WORD = re.compile(r"[a-z0-9]+")

_BY_PREFIX: list[tuple[tuple[str, ...], str]] = sorted(
    (
        (tuple(alias.split()), canonical)
        for canonical, aliases in _ALIASES.items()
        for alias in aliases
    ),
    key=lambda entry: -len(entry[0]),
)


def _fold(name: str) -> list[str]:
    words = _WORD.findall(name.lower().replace("-", " "))
    while words and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    return words


@lru_cache(maxsize=4096)
def canonical_vendor(name: str) -> str | None:
    """Fold a vendor name as a source wrote it to Muster's one name for that vendor."""
    words = _fold(name)
    if not words or is_placeholder_vendor(name):
        return None
    for prefix, canonical in _BY_PREFIX:
        if tuple(words[: len(prefix)]) == prefix:
            return canonical
    # Unknown vendor: its own words, without legal suffixes or trailing punctuation.
    cleaned = re.sub(r"[\s,.]+$", "", name.strip())
    tail = re.compile(r"[\s,.]+(" + "|".join(sorted(_LEGAL_SUFFIXES)) + r")\.?$", re.IGNORECASE)
    while True:
        shorter = tail.sub("", cleaned)
        if shorter == cleaned:
            return cleaned or None
        cleaned = shorter
