"""The techniques a sweep can combine, by name, each behind the one contract of ``base``.

``REGISTRY`` is where a technique plugs in: liveness techniques run on every
target of the scope, host techniques on the hosts found alive. SNMP is the
inventory of ``muster.collector.snmp``, fed through ``snmp_technique``.
"""

from muster.collector.techniques import arp, icmp, nmap_scan, snmp_technique, tcp
from muster.collector.techniques.base import Technique

REGISTRY: dict[str, Technique] = {
    technique.name: technique
    for technique in (
        arp.TECHNIQUE,
        icmp.TECHNIQUE,
        tcp.TECHNIQUE,
        nmap_scan.SYN,
        nmap_scan.FINGERPRINT,
        snmp_technique.TECHNIQUE,
    )
}
