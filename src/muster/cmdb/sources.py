"""Where an Observation comes from, and how far each source is trusted.

Attributes merge by trust first, then freshness: an agent reading DMI on the
host knows the serial better than an SNMP walk, which knows more than nmap's
guess, which knows more than an ARP reply. Third-party agents rank just below
Muster's own, and a staff member's import just below them.
"""

from enum import StrEnum


class Source(StrEnum):
    """The technique or tool that produced an Observation."""

    AGENT = "agent"
    FUSIONINVENTORY = "fusioninventory"
    GLPI = "glpi"
    IMPORT = "import"
    SNMP = "snmp"
    NMAP = "nmap"
    TCP = "tcp"
    ARP = "arp"
    ICMP = "icmp"


TRUST: dict[Source, int] = {
    Source.AGENT: 100,
    Source.FUSIONINVENTORY: 90,
    Source.GLPI: 90,
    Source.IMPORT: 80,
    Source.SNMP: 70,
    Source.NMAP: 50,
    Source.TCP: 30,
    Source.ARP: 20,
    Source.ICMP: 10,
}

# Sources that read the machine from inside and so report its complete set of
# interfaces, disks and software; network sources only see part of it.
INSIDE_SOURCES = frozenset({Source.AGENT, Source.FUSIONINVENTORY, Source.GLPI})
