"""Which identifiers of an Observation may identify a machine, strongest first.

The rules, from DESIGN:

1. serial number with vendor, unless a placeholder;
2. system UUID (and the OS machine ID and SNMP engine ID, which are as
   specific), unless a placeholder or shared by clones;
3. a globally administered, non-virtual MAC address;
4. host name within the site;
5. address within the site, only for sources with nothing stronger and only
   while the lease is fresh.

This module only normalises and grades; ``reconcile`` applies the rules.
"""

from enum import IntEnum
from typing import NamedTuple

from muster.cmdb.network import (
    hostname_identity_problem,
    ip_identity_problem,
    mac_identity_problem,
    split_hostname,
)
from muster.cmdb.observation import Observation
from muster.cmdb.placeholders import is_placeholder_serial, is_placeholder_uuid


class Rule(IntEnum):
    """An identifier type, valued by strength: lower is stronger."""

    SERIAL = 1
    SYSTEM_UUID = 2
    MACHINE_ID = 3
    SNMP_ENGINE_ID = 4
    MAC = 5
    HOSTNAME = 6
    IP = 7

    @property
    def label(self) -> str:
        """The identifier type as stored and shown."""
        return _LABELS[self]

    @property
    def is_strong(self) -> bool:
        """Strong identifiers name one machine; weak ones can move between machines."""
        return self <= Rule.SNMP_ENGINE_ID


_LABELS = {rule: rule.name.lower() for rule in Rule}
RULE_BY_LABEL = {rule.label: rule for rule in Rule}

# Scope stored for identifiers that are unique everywhere.
GLOBAL_SCOPE = ""


class Claim(NamedTuple):
    """One identifier an Observation carries, normalised, with why it cannot identify.

    ``key`` is the (type, scope, value) an identifier row is stored under;
    build claims with ``claim()``, which fills it in.
    """

    rule: Rule
    scope: str
    value: str
    problem: str | None
    key: tuple[str, str, str]
    usable: bool

    def describe(self) -> str:
        """Say the identifier in words, e.g. ``serial CZC123 (HP)``."""
        text = f"{self.rule.label} {self.value}"
        if self.rule is Rule.SERIAL and self.scope:
            text += f" ({self.scope})"
        return text


def claim(rule: Rule, scope: str, value: str, problem: str | None = None) -> Claim:
    """Build a Claim, its key and usability worked out once."""
    return Claim(rule, scope, value, problem, (_LABELS[rule], scope, value), problem is None)


def site_scope(site_id: int | None) -> str:
    """Scope of host names and addresses: the site's id, or empty for no known site."""
    return "" if site_id is None else str(site_id)


def claims_of(observation: Observation, *, site_id: int | None, vendor: str | None) -> list[Claim]:
    """Return every identifier of an Observation as a Claim, strongest rule first."""
    ids = observation.identifiers
    scope = site_scope(site_id)
    claims: list[Claim] = []
    if ids.serial:
        serial = ids.serial.strip().upper()
        problem = "placeholder serial" if is_placeholder_serial(serial) else None
        claims.append(claim(Rule.SERIAL, vendor or GLOBAL_SCOPE, serial, problem))
    if ids.system_uuid:
        problem = "placeholder UUID" if is_placeholder_uuid(ids.system_uuid) else None
        claims.append(claim(Rule.SYSTEM_UUID, GLOBAL_SCOPE, ids.system_uuid, problem))
    if ids.machine_id:
        machine_id = ids.machine_id.strip().lower()
        problem = "placeholder machine ID" if is_placeholder_serial(machine_id) else None
        claims.append(claim(Rule.MACHINE_ID, GLOBAL_SCOPE, machine_id, problem))
    if ids.snmp_engine_id:
        engine_id = ids.snmp_engine_id.lower()
        problem = "placeholder engine ID" if is_placeholder_serial(engine_id[10:]) else None
        claims.append(claim(Rule.SNMP_ENGINE_ID, GLOBAL_SCOPE, engine_id, problem))
    for mac in dict.fromkeys(ids.macs):
        claims.append(claim(Rule.MAC, GLOBAL_SCOPE, mac, mac_identity_problem(mac)))
    if ids.hostname:
        host, _domain = split_hostname(ids.hostname)
        claims.append(claim(Rule.HOSTNAME, scope, host, hostname_identity_problem(host)))
    for ip in dict.fromkeys(ids.ips):
        claims.append(claim(Rule.IP, scope, ip, ip_identity_problem(ip)))
    return claims
