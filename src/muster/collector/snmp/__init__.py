"""SNMP technique: inventory devices over SNMP v2c and v3, and locate hosts on switch ports.

The contract the sweep calls::

    async def snmp_inventory(
        targets: Iterable[str],                      # IPv4 addresses, already passed by
                                                     # the scope guard; nothing else is sent to
        credentials: Sequence[CommunityV2c | UsmUser],  # secrets resolved by the caller
        *,
        settings: SnmpSettings | None = None,        # timeouts, retries, concurrency, ...
        memory: CredentialMemory | None = None,      # which credential worked where
        site: str | None = None,                     # site code put on the Observations
        sweep_id: int | None = None,
        collector: str | None = None,
    ) -> AsyncIterator[SnmpDeviceResult]

It yields one ``SnmpDeviceResult`` per target, in the order they complete:
``observations`` (the device itself first, then one per host it knows of),
``credential`` (the name that worked), ``tables`` walked, ``uplinks`` left
out of locating, and ``error`` when the device could not be inventoried
(``observations`` is then empty). Each device Observation carries the
classification's ``evidence``. Bad arguments raise ``ConfigurationError``
before anything is sent; per-device failures never raise.

``memory`` is updated in place as credentials work; the caller persists it
with ``memory.save()`` (``CredentialMemory.load(path)`` reads it back).
Only credential names are stored, never secrets.

Host Observations: a located MAC gives ``identifiers.macs=[mac]`` and
attributes ``switch`` (the switch's sysName) and ``switch_port`` (ifName),
with the sweep's ``site``; an ARP-cache entry of a router gives
``macs=[mac]`` and ``ips=[address]`` without a site, so ingest places it by
address. No packet goes to those hosts.

Layers, as folders of one package:

- transport (``transport``): pysnmp sessions, credentials, GET, GETBULK walks;
- parsing (``walk``, ``device``, ``neighbours``, ``report``): raw varbinds
  to typed rows and Observations, testable from recorded walks;
- vendor knowledge (``enterprises``): enterprise numbers and known sysObjectIDs;
- orchestration of one run (``inventory``) and the credential memory (``memory``).
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from muster.collector.snmp.credentials import (
        AuthProtocol,
        CommunityV2c,
        PrivProtocol,
        SnmpCredential,
        SnmpSettings,
        UsmUser,
    )
    from muster.collector.snmp.errors import (
        SnmpAuthError,
        SnmpError,
        SnmpResponseError,
        SnmpTimeoutError,
    )
    from muster.collector.snmp.inventory import SnmpDeviceResult, snmp_inventory
    from muster.collector.snmp.memory import CredentialMemory

# Exports load on first use: ``classify`` imports this package's vendor knowledge,
# and the inventory imports ``classify``; eager imports here would make a cycle.
_HOMES = {
    "AuthProtocol": "credentials",
    "CommunityV2c": "credentials",
    "PrivProtocol": "credentials",
    "SnmpCredential": "credentials",
    "SnmpSettings": "credentials",
    "UsmUser": "credentials",
    "SnmpAuthError": "errors",
    "SnmpError": "errors",
    "SnmpResponseError": "errors",
    "SnmpTimeoutError": "errors",
    "SnmpDeviceResult": "inventory",
    "snmp_inventory": "inventory",
    "CredentialMemory": "memory",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


__all__ = [
    "AuthProtocol",
    "CommunityV2c",
    "CredentialMemory",
    "PrivProtocol",
    "SnmpAuthError",
    "SnmpCredential",
    "SnmpDeviceResult",
    "SnmpError",
    "SnmpResponseError",
    "SnmpSettings",
    "SnmpTimeoutError",
    "UsmUser",
    "snmp_inventory",
]
