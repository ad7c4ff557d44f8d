"""Classification: what a device is (kind), who made it (vendor) and which model,
concluded from what the techniques saw, with the evidence for each conclusion.

``classify`` is a pure function over ``DeviceFacts``, a small model every
technique can fill in as far as it knows: SNMP (sysObjectID, sysServices,
sysDescr, the MIBs a device implements), TCP (open ports), nmap (OS
classes) and ARP (MAC vendor). Each rule in ``RULES`` looks at one kind of
fact and proposes values with a weight; per attribute the heaviest value
wins, and the reasons of every rule that proposed it become its evidence,
which the CMDB keeps in the asset's provenance so ``muster assets show``
says why a device is a printer.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from muster.cmdb.kinds import Kind, parse_kind
from muster.cmdb.network import mac_vendor
from muster.cmdb.observation import Evidence
from muster.cmdb.vendors import canonical_vendor
from muster.collector.snmp.enterprises import enterprise_of, known_object_id

Attribute = Literal["kind", "vendor", "model", "os_name"]


class NmapOsClass(BaseModel):
    """One <osclass> of nmap's OS detection."""

    model_config = ConfigDict(frozen=True)

    vendor: str | None = None
    family: str | None = None
    device_type: str | None = None
    accuracy: int = Field(100, ge=0, le=100)


class DeviceFacts(BaseModel):
    """What the techniques saw of one device; every field may be unknown."""

    model_config = ConfigDict(frozen=True)

    sys_object_id: str | None = None
    sys_descr: str | None = None
    sys_services: int | None = Field(None, ge=0, le=127)
    ip_forwarding: bool | None = None
    bridge_ports: int | None = None
    lldp_capabilities: frozenset[str] = frozenset()
    host_resources: bool = False
    printer_mib: bool = False
    printer_model: str | None = Field(None, description="hrDeviceDescr of the printer device.")
    entity_vendor: str | None = Field(None, description="Chassis entPhysicalMfgName.")
    entity_model: str | None = Field(None, description="Chassis entPhysicalModelName.")
    ups_vendor: str | None = None
    ups_model: str | None = None
    open_ports: frozenset[int] = frozenset()
    nmap_os_classes: tuple[NmapOsClass, ...] = ()
    macs: tuple[str, ...] = ()


class Classification(BaseModel):
    """The conclusions, each with the evidence that led to it."""

    model_config = ConfigDict(frozen=True)

    kind: Kind | None = None
    vendor: str | None = None
    model: str | None = None
    os_name: str | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Conclusion:
    """One rule's proposal for one attribute."""

    attribute: Attribute
    value: str
    reason: str
    weight: int


@dataclass(frozen=True, slots=True)
class ClassificationRule:
    """A named rule: one kind of fact, turned into proposals."""

    id: str
    conclude: Callable[[DeviceFacts], Iterable[Conclusion]]


def _object_id(facts: DeviceFacts) -> Iterable[Conclusion]:
    if not facts.sys_object_id:
        return
    oid = facts.sys_object_id
    known = known_object_id(oid)
    if known is not None:
        reason = f"sysObjectID {oid} is {known.what}"
        if known.kind is not None:
            yield Conclusion("kind", known.kind.value, reason, 100)
        if known.model is not None:
            yield Conclusion("model", known.model, reason, 80)
    enterprise = enterprise_of(oid)
    if enterprise is None:
        return
    number = enterprise.number
    if not enterprise.hardware:
        return
    yield Conclusion(
        "vendor", enterprise.vendor, f"sysObjectID {oid} is under enterprise {number}", 80
    )
    if enterprise.usual_kind is not None:
        reason = (
            f"{enterprise.vendor}'s SNMP devices are nearly always of kind {enterprise.usual_kind}"
        )
        yield Conclusion("kind", enterprise.usual_kind.value, reason, 40)


def _mibs(facts: DeviceFacts) -> Iterable[Conclusion]:
    if facts.printer_mib:
        yield Conclusion("kind", Kind.PRINTER.value, "it implements the Printer-MIB", 95)
    if facts.printer_model:
        yield Conclusion("model", facts.printer_model, "HOST-RESOURCES-MIB printer device", 85)
    if facts.ups_model or facts.ups_vendor:
        yield Conclusion("kind", Kind.UPS.value, "it implements the UPS-MIB", 95)
    if facts.ups_model:
        yield Conclusion("model", facts.ups_model, "UPS-MIB upsIdentModel", 90)
    if facts.ups_vendor:
        yield Conclusion("vendor", facts.ups_vendor, "UPS-MIB upsIdentManufacturer", 85)
    if facts.entity_model:
        yield Conclusion("model", facts.entity_model, "ENTITY-MIB chassis model name", 90)
    if facts.entity_vendor:
        yield Conclusion("vendor", facts.entity_vendor, "ENTITY-MIB chassis manufacturer", 85)
    if facts.host_resources and not facts.printer_mib:
        reason = "it reports HOST-RESOURCES-MIB (processors, storage) like a computer"
        yield Conclusion("kind", Kind.SERVER.value, reason, 25)
    if facts.bridge_ports and facts.bridge_ports > 1 and not facts.host_resources:
        reason = f"it bridges {facts.bridge_ports} ports (BRIDGE-MIB)"
        yield Conclusion("kind", Kind.SWITCH.value, reason, 50)


# (pattern, attribute, value, what it means); the first group, if any, is the value.
_DESCR_PATTERNS: tuple[tuple[re.Pattern[str], Attribute, str, str], ...] = (
    (
        re.compile(r"JETDIRECT|LaserJet|OfficeJet|PageWide|DesignJet", re.I),
        "kind",
        "printer",
        "an HP printer",
    ),
    (
        re.compile(r"\b(printer|MFP|imageRUNNER|bizhub|ECOSYS|WorkCentre|AltaLink)\b", re.I),
        "kind",
        "printer",
        "a printer",
    ),
    (
        re.compile(r"Brother NC-|KYOCERA|Lexmark|RICOH|Xerox", re.I),
        "kind",
        "printer",
        "a printer maker's network card",
    ),
    (re.compile(r"Smart-UPS|Symmetra|\bUPS\b", re.I), "kind", "ups", "a UPS"),
    (
        re.compile(r"ProCurve|\bSwitch\b|Catalyst|C\d{4}\w* Software", re.I),
        "kind",
        "switch",
        "a switch",
    ),
    (
        re.compile(r"RouterOS|Cisco IOS XE Software.*ISR|\bRouter\b", re.I),
        "kind",
        "router",
        "a router",
    ),
    (re.compile(r"FortiGate|PAN-OS|SonicOS", re.I), "kind", "firewall", "a firewall"),
    (re.compile(r"Network Camera|IP Camera|\bNVR\b", re.I), "kind", "camera", "a camera"),
    (re.compile(r"\bMN:(\S+)"), "model", "", "the model number"),
    (
        re.compile(r"Windows Server|Software: Windows .*Server", re.I),
        "kind",
        "server",
        "Windows Server",
    ),
    (re.compile(r"Software: Windows|Windows \d", re.I), "os_name", "Windows", "Windows"),
    (re.compile(r"^Linux\b"), "os_name", "Linux", "Linux"),
    (re.compile(r"Cisco IOS Software"), "os_name", "Cisco IOS", "Cisco IOS"),
)


def _descr(facts: DeviceFacts) -> Iterable[Conclusion]:
    if not facts.sys_descr:
        return
    descr = " ".join(facts.sys_descr.split())
    for pattern, attribute, value, meaning in _DESCR_PATTERNS:
        match = pattern.search(descr)
        if match is None:
            continue
        found = match.group(1) if not value and match.groups() else value
        quoted = match.group(0)
        yield Conclusion(attribute, found, f"sysDescr says {quoted!r}: {meaning}", 60)


def _services(facts: DeviceFacts) -> Iterable[Conclusion]:
    """sysServices (RFC 3418): 2 = bridging, 4 = routing, 8 and 64 = host services."""
    services = facts.sys_services
    if not services:
        return
    host = services & (8 | 64)
    if services & 2 and not host:
        yield Conclusion("kind", "switch", f"sysServices {services} means bridging", 30)
    elif services & 4 and not host:
        yield Conclusion("kind", "router", f"sysServices {services} means routing only", 30)


def _lldp(facts: DeviceFacts) -> Iterable[Conclusion]:
    caps = facts.lldp_capabilities
    named = ", ".join(sorted(caps))
    reason = f"it advertises LLDP capabilities {named}"
    if "telephone" in caps:
        yield Conclusion("kind", "phone", reason, 70)
    elif "wlan_access_point" in caps:
        yield Conclusion("kind", "access_point", reason, 70)
    elif "router" in caps and "bridge" not in caps:
        yield Conclusion("kind", "router", reason, 45)
    elif "bridge" in caps:
        yield Conclusion("kind", "switch", reason, 45)


def _ports(facts: DeviceFacts) -> Iterable[Conclusion]:
    ports = facts.open_ports
    if 9100 in ports:
        yield Conclusion("kind", "printer", "TCP port 9100 (raw printing) is open", 55)
    elif ports & {515, 631} and not ports & {22, 135, 445, 3389}:
        open_ = "/".join(str(p) for p in sorted(ports & {515, 631}))
        yield Conclusion("kind", "printer", f"print service port {open_} open, no host ports", 35)
    if 3389 in ports or {135, 445} <= ports:
        yield Conclusion("os_name", "Windows", "Windows service ports are open", 30)
        served = sorted(ports & _SERVER_PORTS)
        if served:
            listed = "/".join(str(p) for p in served)
            reason = f"desktop ports (remote desktop, file sharing) and server port {listed} open"
            yield Conclusion("kind", "server", reason, 25)
        else:
            reason = (
                "desktop ports (remote desktop, file sharing) open and no server port "
                "(web, mail, DNS, directory, database)"
            )
            yield Conclusion("kind", "workstation", reason, 20)


# Ports a machine with desktop ports (3389, or 135 and 445) opens when it
# serves others: web, mail, DNS, Kerberos and LDAP (a domain controller), SQL Server.
_SERVER_PORTS = frozenset({25, 53, 80, 88, 389, 443, 636, 1433, 3268})


_NMAP_TYPES: dict[str, Kind] = {
    "printer": Kind.PRINTER,
    "router": Kind.ROUTER,
    "broadband router": Kind.ROUTER,
    "switch": Kind.SWITCH,
    "wap": Kind.ACCESS_POINT,
    "firewall": Kind.FIREWALL,
    "voip phone": Kind.PHONE,
    "phone": Kind.PHONE,
    "webcam": Kind.CAMERA,
    "storage-misc": Kind.STORAGE,
    "power-device": Kind.UPS,
}


def _nmap(facts: DeviceFacts) -> Iterable[Conclusion]:
    for os_class in facts.nmap_os_classes:
        weight = 55 * os_class.accuracy // 100
        said = f"nmap OS class {os_class.vendor or '?'} {os_class.family or '?'}"
        said += f" ({os_class.device_type or '?'}, {os_class.accuracy}%)"
        kind = _NMAP_TYPES.get((os_class.device_type or "").lower())
        if kind is not None:
            yield Conclusion("kind", kind.value, said, weight)
        if os_class.family in ("Windows", "Linux"):
            yield Conclusion("os_name", os_class.family, said, weight)
        elif os_class.vendor and os_class.device_type and kind is not None:
            yield Conclusion("vendor", os_class.vendor, said, weight // 2)


def _mac(facts: DeviceFacts) -> Iterable[Conclusion]:
    for mac in facts.macs:
        vendor = mac_vendor(mac)
        if vendor:
            yield Conclusion("vendor", vendor, f"MAC {mac} is registered to {vendor}", 20)
            return


RULES: tuple[ClassificationRule, ...] = (
    ClassificationRule("sys-object-id", _object_id),
    ClassificationRule("mibs", _mibs),
    ClassificationRule("sys-descr", _descr),
    ClassificationRule("sys-services", _services),
    ClassificationRule("lldp", _lldp),
    ClassificationRule("open-ports", _ports),
    ClassificationRule("nmap", _nmap),
    ClassificationRule("mac-vendor", _mac),
)


def classify(facts: DeviceFacts) -> Classification:
    """Conclude kind, vendor, model and OS from the facts, with the evidence for each."""
    proposals: dict[Attribute, list[Conclusion]] = {}
    for rule in RULES:
        for conclusion in rule.conclude(facts):
            value = _normalise(conclusion.attribute, conclusion.value)
            if value:
                normal = Conclusion(
                    conclusion.attribute, value, conclusion.reason, conclusion.weight
                )
                proposals.setdefault(conclusion.attribute, []).append(normal)

    chosen: dict[str, str] = {}
    evidence: list[Evidence] = []
    for attribute, conclusions in proposals.items():
        totals: dict[str, int] = {}
        for conclusion in conclusions:
            totals[conclusion.value] = max(totals.get(conclusion.value, 0), conclusion.weight)
        # Heaviest single proposal wins; ties go to the value more rules agree on, then by name.
        winner = max(
            totals,
            key=lambda v: (totals[v], sum(c.value == v for c in conclusions), v),
        )
        chosen[attribute] = winner
        agreeing = sorted((c for c in conclusions if c.value == winner), key=lambda c: -c.weight)
        evidence.extend(
            Evidence(attribute=attribute, value=winner, reason=c.reason) for c in agreeing
        )
    kind = chosen.get("kind")
    return Classification(
        kind=Kind(kind) if kind else None,
        vendor=chosen.get("vendor"),
        model=chosen.get("model"),
        os_name=chosen.get("os_name"),
        evidence=tuple(evidence),
    )


def _normalise(attribute: Attribute, value: str) -> str | None:
    value = value.strip()
    if attribute == "vendor":
        return canonical_vendor(value)
    if attribute == "kind":
        kind = parse_kind(value)
        return kind.value if kind is not None and kind is not Kind.UNKNOWN else None
    return value[:255] or None
