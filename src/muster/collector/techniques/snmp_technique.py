"""SNMP as a sweep technique: the SNMP inventory (``muster.collector.snmp``) fed by the sweep.

The inventory itself (sessions, walks, parsing, classification, locating
hosts on switch ports) lives in ``muster.collector.snmp``; this module hands
it the sweep's live hosts (each passed by the scope guard), the site's
credentials (secrets resolved, named without them) and the sweep's limits,
and passes its Observations on. Which credential worked on which device is
remembered in a file beside the CMDB (``snmp-credentials.json`` in the data
folder) and tried first next time.

The inventory, and pysnmp with it, is imported when SNMP runs: a liveness
sweep does not wait for an SNMP engine it does not use to load.
"""

import logging
import re
from collections.abc import AsyncIterator, Sequence

from pydantic import ValidationError

from muster.cmdb.db import default_data_dir
from muster.cmdb.observation import Observation
from muster.collector.credentials import SnmpCredentials
from muster.collector.scope import ScopeError
from muster.collector.snmp.credentials import (
    AuthProtocol,
    CommunityV2c,
    PrivProtocol,
    SnmpSettings,
    UsmUser,
)
from muster.collector.snmp.memory import CredentialMemory
from muster.collector.techniques.base import ProbeContext, Technique

logger = logging.getLogger(__name__)

MEMORY_FILE = "snmp-credentials.json"
# SNMP sessions in flight at once; each sends one request at a time.
MAX_DEVICES_AT_ONCE = 64


def credential_name(credential: SnmpCredentials, position: int) -> str:
    """Name a credential as the inventory logs and remembers it: never the secret."""
    raw = credential.reference or f"credential-{position}"
    kind, _, where = raw.partition(":")
    if kind == "value":
        return f"command-line-{position}"
    return re.sub(r"[^\w.@:-]", "_", f"{kind}:{where.rsplit('/', 1)[-1]}")[:64]


def _inventory_credential(credential: SnmpCredentials, name: str) -> CommunityV2c | UsmUser:
    if credential.version == "2c":
        assert credential.community is not None
        return CommunityV2c(name=name, community=credential.community)
    assert credential.user is not None
    return UsmUser(
        name=name,
        user=credential.user,
        auth_protocol=AuthProtocol(credential.auth_protocol) if credential.auth_protocol else None,
        auth_key=credential.auth_key,
        priv_protocol=PrivProtocol(credential.priv_protocol) if credential.priv_protocol else None,
        priv_key=credential.priv_key,
    )


def inventory_credentials(
    credentials: Sequence[SnmpCredentials], context: ProbeContext
) -> list[CommunityV2c | UsmUser]:
    """Turn the sweep's credentials into the inventory's, skipping (and naming) bad ones."""
    converted = []
    for position, credential in enumerate(credentials, start=1):
        try:
            converted.append(
                _inventory_credential(credential, credential_name(credential, position))
            )
        except (ValidationError, ValueError) as exc:
            # pydantic's message names fields and rules, never the secret's value.
            context.error(f"SNMP credential {position} ({credential.label}) skipped: {exc}")
    return converted


def _permitted(targets: Sequence[str], context: ProbeContext) -> list[str]:
    allowed = []
    for address in targets:
        try:
            allowed.append(context.permit(address))
        except ScopeError as exc:
            context.error(str(exc))
            context.probed()
    return allowed


async def snmp_inventory(
    targets: Sequence[str], context: ProbeContext
) -> AsyncIterator[Observation]:
    """Yield the SNMP inventory's Observations of the devices among the targets."""
    allowed = _permitted(targets, context)
    credentials = inventory_credentials(context.credentials, context) if allowed else []
    if not credentials:
        if allowed:
            context.error("SNMP skipped: the site has no usable SNMP credential")
        context.probed(len(allowed))
        return
    from muster.collector.snmp.inventory import snmp_inventory as inventory

    memory = CredentialMemory.load(default_data_dir() / MEMORY_FILE)
    settings = SnmpSettings(
        probe_timeout=context.timeout,
        probe_retries=context.retries,
        concurrency=min(MAX_DEVICES_AT_ONCE, context.concurrency),
    )
    answered = 0
    try:
        async for result in inventory(
            allowed,
            credentials,
            settings=settings,
            memory=memory,
            site=context.site,
            sweep_id=context.sweep_id,
            collector=context.collector,
        ):
            context.probed()
            # A host that does not speak SNMP is the rule, not an error of the sweep.
            if result.error:
                logger.debug("SNMP %s: %s", result.address, result.error)
                continue
            answered += 1
            for observation in result.observations:
                yield observation
    finally:
        memory.save()
        logger.info("SNMP: %d of %d hosts answered", answered, len(allowed))


TECHNIQUE = Technique(
    name="snmp",
    stage="host",
    run=snmp_inventory,
    summary="SNMP v2c/v3 inventory: system, interfaces, entities, forwarding tables",
)
