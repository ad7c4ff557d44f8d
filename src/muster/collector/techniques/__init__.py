"""The techniques a sweep can combine, by name, each behind the one contract of ``base``.

``REGISTRY`` is where a technique plugs in: liveness techniques run on every
target of the scope, host techniques on the hosts found alive. SNMP is the
inventory of ``muster.collector.snmp``, fed through ``snmp_technique``.

A technique's module is imported when the technique is first looked up: a
sweep that only runs ARP does not load nmap's XML parsing or the SNMP
inventory, and one without ARP does not load scapy.
"""

from collections.abc import Iterator, Mapping
from importlib import import_module

from muster.collector.techniques.base import Technique

# Technique name -> (module in this package, attribute holding its Technique).
_WHERE: dict[str, tuple[str, str]] = {
    "arp": ("arp", "TECHNIQUE"),
    "icmp": ("icmp", "TECHNIQUE"),
    "tcp": ("tcp", "TECHNIQUE"),
    "syn": ("nmap_scan", "SYN"),
    "nmap": ("nmap_scan", "FINGERPRINT"),
    "snmp": ("snmp_technique", "TECHNIQUE"),
}


class _Registry(Mapping[str, Technique]):
    """The techniques by name, each module imported on first look-up."""

    def __getitem__(self, name: str) -> Technique:
        module, attribute = _WHERE[name]
        technique: Technique = getattr(import_module(f"{__name__}.{module}"), attribute)
        return technique

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


REGISTRY: Mapping[str, Technique] = _Registry()
