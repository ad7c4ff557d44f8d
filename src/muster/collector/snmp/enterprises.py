"""Vendor knowledge: IANA enterprise numbers and known sysObjectIDs.

A sysObjectID is ``1.3.6.1.4.1.<enterprise>.<vendor's own branch>``: the
enterprise number names who wrote the agent, and a vendor's registered
branches name product families and models. This module only looks things
up; ``muster.collector.classify`` weighs them against other evidence.

Some enterprises write SNMP agents rather than hardware (Net-SNMP,
Microsoft): their number says nothing of who made the machine, and
``Enterprise.hardware`` is False for them.
"""

from dataclasses import dataclass

from muster.cmdb.kinds import Kind

ENTERPRISES_PREFIX = (1, 3, 6, 1, 4, 1)


@dataclass(frozen=True, slots=True)
class Enterprise:
    """An IANA private enterprise number's holder, as Muster names the vendor."""

    number: int
    vendor: str
    hardware: bool = True
    # A kind the vendor's SNMP-speaking products nearly always are, e.g. Lexmark: printer.
    usual_kind: Kind | None = None


@dataclass(frozen=True, slots=True)
class KnownObjectId:
    """A registered sysObjectID (or branch of them) and what it identifies."""

    prefix: str
    kind: Kind | None
    model: str | None
    what: str


_ENTERPRISES = (
    Enterprise(2, "IBM"),
    Enterprise(9, "Cisco"),
    Enterprise(11, "HP"),
    Enterprise(43, "3Com"),
    Enterprise(171, "D-Link"),
    Enterprise(236, "Samsung"),
    Enterprise(253, "Xerox", usual_kind=Kind.PRINTER),
    Enterprise(311, "Microsoft", hardware=False),
    Enterprise(318, "APC"),
    Enterprise(367, "Ricoh", usual_kind=Kind.PRINTER),
    Enterprise(368, "Axis", usual_kind=Kind.CAMERA),
    Enterprise(476, "Vertiv"),
    Enterprise(534, "Eaton", usual_kind=Kind.UPS),
    Enterprise(641, "Lexmark", usual_kind=Kind.PRINTER),
    Enterprise(674, "Dell"),
    Enterprise(705, "Eaton", usual_kind=Kind.UPS),
    Enterprise(789, "NetApp", usual_kind=Kind.STORAGE),
    Enterprise(850, "Tripp Lite"),
    Enterprise(1248, "Epson", usual_kind=Kind.PRINTER),
    Enterprise(1347, "Kyocera", usual_kind=Kind.PRINTER),
    Enterprise(1588, "Brocade"),
    Enterprise(1602, "Canon", usual_kind=Kind.PRINTER),
    Enterprise(1916, "Extreme Networks"),
    Enterprise(1991, "Brocade"),
    Enterprise(2011, "Huawei"),
    Enterprise(2021, "Net-SNMP", hardware=False),
    Enterprise(2435, "Brother", usual_kind=Kind.PRINTER),
    Enterprise(2636, "Juniper"),
    Enterprise(3902, "ZTE"),
    Enterprise(4526, "Netgear"),
    Enterprise(4881, "Ruijie"),
    Enterprise(6027, "Dell"),
    Enterprise(6486, "Alcatel-Lucent"),
    Enterprise(6574, "Synology", usual_kind=Kind.STORAGE),
    Enterprise(6876, "VMware"),
    Enterprise(8072, "Net-SNMP", hardware=False),
    Enterprise(8741, "SonicWall", usual_kind=Kind.FIREWALL),
    Enterprise(11863, "TP-Link"),
    Enterprise(12356, "Fortinet", usual_kind=Kind.FIREWALL),
    Enterprise(14179, "Cisco"),
    Enterprise(14823, "Aruba"),
    Enterprise(14988, "MikroTik", usual_kind=Kind.ROUTER),
    Enterprise(18334, "Konica Minolta", usual_kind=Kind.PRINTER),
    Enterprise(24681, "QNAP", usual_kind=Kind.STORAGE),
    Enterprise(25053, "Ruckus"),
    Enterprise(25461, "Palo Alto Networks", usual_kind=Kind.FIREWALL),
    Enterprise(25506, "H3C"),
    Enterprise(29671, "Cisco Meraki"),
    Enterprise(30065, "Arista", usual_kind=Kind.SWITCH),
    Enterprise(41112, "Ubiquiti"),
)
ENTERPRISES: dict[int, Enterprise] = {e.number: e for e in _ENTERPRISES}

_KNOWN = (
    KnownObjectId(
        "1.3.6.1.4.1.9.1.516", Kind.SWITCH, "Catalyst 3750", "a Cisco Catalyst 3750 switch"
    ),
    KnownObjectId(
        "1.3.6.1.4.1.9.1.617", Kind.SWITCH, "Catalyst 3560", "a Cisco Catalyst 3560 switch"
    ),
    KnownObjectId("1.3.6.1.4.1.11.2.3.7.11", Kind.SWITCH, None, "an HP ProCurve switch"),
    KnownObjectId(
        "1.3.6.1.4.1.11.2.3.7.11.63",
        Kind.SWITCH,
        "ProCurve 2810-24G",
        "an HP ProCurve 2810-24G switch",
    ),
    KnownObjectId(
        "1.3.6.1.4.1.11.2.3.7.11.107",
        Kind.SWITCH,
        "ProCurve 6120XG",
        "an HP ProCurve 6120XG blade switch",
    ),
    KnownObjectId("1.3.6.1.4.1.11.2.3.9.1", Kind.PRINTER, None, "an HP JetDirect printer"),
    KnownObjectId("1.3.6.1.4.1.318.1.3.2", Kind.UPS, None, "an APC Smart-UPS"),
    KnownObjectId("1.3.6.1.4.1.534.1", Kind.UPS, None, "an Eaton (Powerware) UPS"),
    KnownObjectId("1.3.6.1.4.1.705.1", Kind.UPS, None, "an Eaton (MGE) UPS"),
    KnownObjectId("1.3.6.1.4.1.171.10", Kind.SWITCH, None, "a D-Link switch"),
    KnownObjectId("1.3.6.1.4.1.2011.2.23", Kind.SWITCH, None, "a Huawei S-series switch"),
    KnownObjectId("1.3.6.1.4.1.2435.2.3.9.1", Kind.PRINTER, None, "a Brother printer"),
    KnownObjectId("1.3.6.1.4.1.2636.1.1.1.2.21", Kind.ROUTER, "MX960", "a Juniper MX960 router"),
    KnownObjectId("1.3.6.1.4.1.12356.101.1", Kind.FIREWALL, None, "a Fortinet FortiGate"),
    KnownObjectId("1.3.6.1.4.1.25461.2.3", Kind.FIREWALL, None, "a Palo Alto Networks firewall"),
    KnownObjectId("1.3.6.1.4.1.30065.1", Kind.SWITCH, None, "an Arista switch"),
    KnownObjectId(
        "1.3.6.1.4.1.41112.1.4", Kind.ACCESS_POINT, None, "a Ubiquiti airMAX access point"
    ),
    KnownObjectId("1.3.6.1.4.1.311.1.1.3.1.1", Kind.WORKSTATION, None, "a Windows workstation"),
    KnownObjectId("1.3.6.1.4.1.311.1.1.3.1.2", Kind.SERVER, None, "a Windows server"),
    KnownObjectId("1.3.6.1.4.1.311.1.1.3.1.3", Kind.SERVER, None, "a Windows domain controller"),
)
_KNOWN_BY_PREFIX = {known.prefix: known for known in _KNOWN}


def enterprise_of(object_id: str) -> Enterprise | None:
    """Return the enterprise a sysObjectID belongs to, or None when unregistered here."""
    parts = object_id.strip(".").split(".")
    if len(parts) <= len(ENTERPRISES_PREFIX) or not object_id.startswith("1.3.6.1.4.1."):
        return None
    try:
        return ENTERPRISES.get(int(parts[len(ENTERPRISES_PREFIX)]))
    except ValueError:
        return None


def known_object_id(object_id: str) -> KnownObjectId | None:
    """Return the most specific known entry for a sysObjectID (longest prefix), or None."""
    parts = object_id.strip(".").split(".")
    for length in range(len(parts), len(ENTERPRISES_PREFIX) + 1, -1):
        known = _KNOWN_BY_PREFIX.get(".".join(parts[:length]))
        if known is not None:
            return known
    return None
