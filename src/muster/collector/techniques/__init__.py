"""The techniques a sweep can combine, by name, each behind the one contract of ``base``.

``REGISTRY`` is where a technique plugs in: liveness techniques run on every
target of the scope, host techniques on the hosts found alive. SNMP comes
from ``muster.collector.snmp`` through ``snmp_technique``, imported when a
sweep asks for it.
"""

import importlib
from collections.abc import AsyncIterator, Callable, Sequence

from muster.cmdb.observation import Observation
from muster.collector.techniques import arp, icmp, nmap_scan, tcp
from muster.collector.techniques.base import ProbeContext, Technique

SNMP_MODULE = "muster.collector.snmp"


def _snmp_inventory() -> Callable[..., AsyncIterator[Observation]]:
    module = importlib.import_module(SNMP_MODULE)
    inventory: Callable[..., AsyncIterator[Observation]] = module.snmp_inventory
    return inventory


async def _snmp(targets: Sequence[str], context: ProbeContext) -> AsyncIterator[Observation]:
    async for observation in _snmp_inventory()(targets, context.credentials, context=context):
        yield observation


def _snmp_missing() -> str | None:
    try:
        _snmp_inventory()
    except (ImportError, AttributeError):
        return "the SNMP technique is not part of this build of Muster"
    return None


class _SnmpTechnique(Technique):
    def unavailable(self) -> str | None:
        return _snmp_missing() or super().unavailable()


SNMP = _SnmpTechnique(
    name="snmp",
    stage="host",
    run=_snmp,
    summary="SNMP v2c/v3 inventory: system, interfaces, entities, forwarding tables",
)

REGISTRY: dict[str, Technique] = {
    technique.name: technique
    for technique in (
        arp.TECHNIQUE,
        icmp.TECHNIQUE,
        tcp.TECHNIQUE,
        nmap_scan.SYN,
        nmap_scan.FINGERPRINT,
        SNMP,
    )
}
