"""Classification: each rule on its own, then how rules are weighed against each other."""

import pytest

from muster.cmdb.kinds import Kind
from muster.collector.classify import (
    RULES,
    Conclusion,
    DeviceFacts,
    NmapOsClass,
    classify,
)

RULE_BY_ID = {rule.id: rule for rule in RULES}

# (rule id, facts, the rule's conclusions as (attribute, value, reason))
RULE_CASES: list[tuple[str, DeviceFacts, list[tuple[str, str, str]]]] = [
    (
        "sys-object-id",
        DeviceFacts(sys_object_id="1.3.6.1.4.1.11.2.3.9.1"),
        [
            ("kind", "printer", "sysObjectID 1.3.6.1.4.1.11.2.3.9.1 is an HP JetDirect printer"),
            ("vendor", "HP", "sysObjectID 1.3.6.1.4.1.11.2.3.9.1 is under enterprise 11"),
        ],
    ),
    (
        "sys-object-id",
        DeviceFacts(sys_object_id="1.3.6.1.4.1.641.2.1.2.1"),
        [
            ("vendor", "Lexmark", "sysObjectID 1.3.6.1.4.1.641.2.1.2.1 is under enterprise 641"),
            ("kind", "printer", "Lexmark's SNMP devices are nearly always of kind printer"),
        ],
    ),
    ("sys-object-id", DeviceFacts(sys_object_id="1.3.6.1.4.1.8072.3.2.10"), []),
    ("sys-object-id", DeviceFacts(sys_object_id="1.3.6.1.4.1.999999.1"), []),
    (
        "mibs",
        DeviceFacts(printer_mib=True, host_resources=True, printer_model="HP LaserJet M507"),
        [
            ("kind", "printer", "it implements the Printer-MIB"),
            ("model", "HP LaserJet M507", "HOST-RESOURCES-MIB printer device"),
        ],
    ),
    (
        "mibs",
        DeviceFacts(ups_vendor="EATON", ups_model="93E 80"),
        [
            ("kind", "ups", "it implements the UPS-MIB"),
            ("model", "93E 80", "UPS-MIB upsIdentModel"),
            ("vendor", "Eaton", "UPS-MIB upsIdentManufacturer"),
        ],
    ),
    (
        "mibs",
        DeviceFacts(host_resources=True),
        [
            (
                "kind",
                "server",
                "it reports HOST-RESOURCES-MIB (processors, storage) like a computer",
            )
        ],
    ),
    (
        "mibs",
        DeviceFacts(bridge_ports=24, entity_model="J9021A", entity_vendor="Hewlett-Packard"),
        [
            ("model", "J9021A", "ENTITY-MIB chassis model name"),
            ("vendor", "HP", "ENTITY-MIB chassis manufacturer"),
            ("kind", "switch", "it bridges 24 ports (BRIDGE-MIB)"),
        ],
    ),
    (
        "sys-descr",
        DeviceFacts(sys_descr="HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153"),
        [("kind", "printer", "sysDescr says 'JETDIRECT': an HP printer")],
    ),
    (
        "sys-descr",
        DeviceFacts(sys_descr="APC Web/SNMP Management Card (MB:v4.1.0 MN:AP8932 HR:02)"),
        [("model", "AP8932", "sysDescr says 'MN:AP8932': the model number")],
    ),
    (
        "sys-descr",
        DeviceFacts(sys_descr="Linux fileserver 6.1.0-18-amd64 #1 SMP x86_64"),
        [("os_name", "Linux", "sysDescr says 'Linux': Linux")],
    ),
    (
        "sys-services",
        DeviceFacts(sys_services=2),
        [("kind", "switch", "sysServices 2 means bridging")],
    ),
    (
        "sys-services",
        DeviceFacts(sys_services=4),
        [("kind", "router", "sysServices 4 means routing only")],
    ),
    ("sys-services", DeviceFacts(sys_services=72), []),
    (
        "lldp",
        DeviceFacts(lldp_capabilities=frozenset({"bridge", "telephone"})),
        [("kind", "phone", "it advertises LLDP capabilities bridge, telephone")],
    ),
    (
        "lldp",
        DeviceFacts(lldp_capabilities=frozenset({"bridge", "router"})),
        [("kind", "switch", "it advertises LLDP capabilities bridge, router")],
    ),
    (
        "open-ports",
        DeviceFacts(open_ports=frozenset({80, 443, 9100})),
        [("kind", "printer", "TCP port 9100 (raw printing) is open")],
    ),
    (
        "open-ports",
        DeviceFacts(open_ports=frozenset({80, 631})),
        [("kind", "printer", "print service port 631 open, no host ports")],
    ),
    ("open-ports", DeviceFacts(open_ports=frozenset({22, 631})), []),
    (
        "open-ports",
        DeviceFacts(open_ports=frozenset({135, 445})),
        [
            ("os_name", "Windows", "Windows service ports are open"),
            (
                "kind",
                "workstation",
                "desktop ports (remote desktop, file sharing) open and no server port "
                "(web, mail, DNS, directory, database)",
            ),
        ],
    ),
    (
        "open-ports",
        DeviceFacts(open_ports=frozenset({53, 88, 135, 389, 445})),
        [
            ("os_name", "Windows", "Windows service ports are open"),
            (
                "kind",
                "server",
                "desktop ports (remote desktop, file sharing) and server port 53/88/389 open",
            ),
        ],
    ),
    (
        "nmap",
        DeviceFacts(
            nmap_os_classes=(
                NmapOsClass(vendor="HP", family="embedded", device_type="printer", accuracy=96),
            )
        ),
        [
            ("kind", "printer", "nmap OS class HP embedded (printer, 96%)"),
            ("vendor", "HP", "nmap OS class HP embedded (printer, 96%)"),
        ],
    ),
    (
        "nmap",
        DeviceFacts(
            nmap_os_classes=(
                NmapOsClass(vendor="Linux", family="Linux", device_type="general purpose"),
            )
        ),
        [("os_name", "Linux", "nmap OS class Linux Linux (general purpose, 100%)")],
    ),
    (
        "mac-vendor",
        DeviceFacts(macs=("3c:52:82:1a:2b:3c",)),
        [("vendor", "HP", "MAC 3c:52:82:1a:2b:3c is registered to HP")],
    ),
    ("mac-vendor", DeviceFacts(macs=("02:00:00:00:00:01",)), []),
]
RULE_IDS = [f"{rule_id}-{n}" for n, (rule_id, _, _) in enumerate(RULE_CASES)]


@pytest.mark.parametrize(("rule_id", "facts", "expected"), RULE_CASES, ids=RULE_IDS)
def test_rule_concludes_from_its_facts(
    rule_id: str, facts: DeviceFacts, expected: list[tuple[str, str, str]]
) -> None:
    conclusions = list(RULE_BY_ID[rule_id].conclude(facts))

    assert [(c.attribute, _normal(c), c.reason) for c in conclusions] == expected


def _normal(conclusion: Conclusion) -> str:
    # Vendors are folded to Muster's names by classify(); rules may give them raw.
    from muster.cmdb.vendors import canonical_vendor

    if conclusion.attribute == "vendor":
        return canonical_vendor(conclusion.value) or conclusion.value
    return conclusion.value


def test_classify_printer_from_every_source_keeps_all_agreeing_evidence() -> None:
    facts = DeviceFacts(
        sys_object_id="1.3.6.1.4.1.11.2.3.9.1",
        printer_mib=True,
        open_ports=frozenset({9100}),
        macs=("3c:52:82:1a:2b:3c",),
    )

    result = classify(facts)

    assert (result.kind, result.vendor, result.model) == (Kind.PRINTER, "HP", None)
    assert [(e.attribute, e.value, e.reason) for e in result.evidence] == [
        ("kind", "printer", "sysObjectID 1.3.6.1.4.1.11.2.3.9.1 is an HP JetDirect printer"),
        ("kind", "printer", "it implements the Printer-MIB"),
        ("kind", "printer", "TCP port 9100 (raw printing) is open"),
        ("vendor", "HP", "sysObjectID 1.3.6.1.4.1.11.2.3.9.1 is under enterprise 11"),
        ("vendor", "HP", "MAC 3c:52:82:1a:2b:3c is registered to HP"),
    ]


def test_classify_known_object_id_outweighs_open_print_port() -> None:
    facts = DeviceFacts(sys_object_id="1.3.6.1.4.1.9.1.516", open_ports=frozenset({9100}))

    result = classify(facts)

    assert result.kind is Kind.SWITCH
    assert [e.reason for e in result.evidence if e.attribute == "kind"] == [
        "sysObjectID 1.3.6.1.4.1.9.1.516 is a Cisco Catalyst 3750 switch"
    ]


def test_classify_nothing_known_concludes_nothing() -> None:
    result = classify(DeviceFacts())

    assert (result.kind, result.vendor, result.model, result.evidence) == (None, None, None, ())


def test_classify_chassis_model_outweighs_known_object_id_model() -> None:
    facts = DeviceFacts(sys_object_id="1.3.6.1.4.1.9.1.516", entity_model="WS-C3750-48PS-S")

    assert classify(facts).model == "WS-C3750-48PS-S"
