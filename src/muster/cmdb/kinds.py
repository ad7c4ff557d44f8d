"""The one vocabulary of asset kinds, and the words sources use for them."""

from enum import StrEnum


class Kind(StrEnum):
    """What an asset is, in the words IT staff and managers use."""

    SERVER = "server"
    WORKSTATION = "workstation"
    LAPTOP = "laptop"
    SWITCH = "switch"
    ROUTER = "router"
    FIREWALL = "firewall"
    ACCESS_POINT = "access_point"
    PRINTER = "printer"
    UPS = "ups"
    PHONE = "phone"
    CAMERA = "camera"
    PROJECTOR = "projector"
    STORAGE = "storage"
    UNKNOWN = "unknown"


# Words seen in agents' chassis types, CSV imports and other tools' exports.
_KIND_ALIASES: dict[str, Kind] = {
    "access point": Kind.ACCESS_POINT,
    "accesspoint": Kind.ACCESS_POINT,
    "ap": Kind.ACCESS_POINT,
    "wap": Kind.ACCESS_POINT,
    "wireless access point": Kind.ACCESS_POINT,
    "desktop": Kind.WORKSTATION,
    "pc": Kind.WORKSTATION,
    "computer": Kind.WORKSTATION,
    "tower": Kind.WORKSTATION,
    "all in one": Kind.WORKSTATION,
    "mini pc": Kind.WORKSTATION,
    "notebook": Kind.LAPTOP,
    "portable": Kind.LAPTOP,
    "convertible": Kind.LAPTOP,
    "tablet": Kind.LAPTOP,
    "nas": Kind.STORAGE,
    "san": Kind.STORAGE,
    "voip": Kind.PHONE,
    "voip phone": Kind.PHONE,
    "ip phone": Kind.PHONE,
    "mfp": Kind.PRINTER,
    "ip camera": Kind.CAMERA,
    "webcam": Kind.CAMERA,
    "beamer": Kind.PROJECTOR,
    "layer 3 switch": Kind.SWITCH,
    "l3 switch": Kind.SWITCH,
    "gateway": Kind.ROUTER,
    "rack mount chassis": Kind.SERVER,
    "blade": Kind.SERVER,
}


def parse_kind(text: str) -> Kind | None:
    """Map a kind as a source wrote it to the vocabulary, or None when it is not a kind."""
    key = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
    try:
        return Kind(key.replace(" ", "_"))
    except ValueError:
        return _KIND_ALIASES.get(key)


def require_kind(text: str, *, allow_unknown: bool = True) -> Kind:
    """Map a kind as a source wrote it to the vocabulary, or raise ValueError listing it.

    ``allow_unknown=False`` is for what a person asks for (a requirement line,
    a ticket about a site's lines of one kind): nobody needs a device of unknown kind.
    """
    kind = parse_kind(text)
    if kind is None or (kind is Kind.UNKNOWN and not allow_unknown):
        choices = ", ".join(k.value for k in Kind if allow_unknown or k is not Kind.UNKNOWN)
        what = "an asset kind" if kind is None else "a kind a site can need"
        raise ValueError(f"{text!r} is not {what}: expected one of {choices}")
    return kind
