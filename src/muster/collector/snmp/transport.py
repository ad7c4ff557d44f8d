"""How SNMP messages move: pysnmp's asyncio engine, sessions, GET and GETBULK walks.

One ``SnmpClient`` (one pysnmp engine and UDP socket) serves a whole
inventory; a ``SnmpSession`` is one device with one credential. Sessions
return raw varbinds as ``walk`` values and translate pysnmp's error
indications into ``SnmpError``s; nothing here knows what a MIB means.

A walk asks for several columns of a table in one GETBULK, so a table of
ten columns and a hundred rows costs a few round trips, not a thousand.

Requests go through the engine's command generators with numeric OIDs, as
pysnmp's ``get_cmd``/``bulk_cmd`` do inside, but without their step of
resolving every varbind through a MIB view: Muster never needs MIB names,
and that step costs seconds per engine (it builds a MIB compiler when pysmi
is installed) and CPU on every request.
"""

import asyncio
import ipaddress
import logging
from collections.abc import Sequence
from typing import Any

from pyasn1.type import univ
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import (
    USM_AUTH_HMAC96_MD5,
    USM_AUTH_HMAC96_SHA,
    USM_AUTH_HMAC128_SHA224,
    USM_AUTH_HMAC192_SHA256,
    USM_AUTH_HMAC256_SHA384,
    USM_AUTH_HMAC384_SHA512,
    USM_PRIV_CBC56_DES,
    USM_PRIV_CBC168_3DES,
    USM_PRIV_CFB128_AES,
    USM_PRIV_CFB192_AES,
    USM_PRIV_CFB256_AES,
    CommunityData,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
)
from pysnmp.hlapi.v3arch.asyncio.cmdgen import LCD
from pysnmp.proto import errind, rfc1902, rfc1905

from muster.collector.snmp.credentials import (
    AuthProtocol,
    CommunityV2c,
    PrivProtocol,
    SnmpSettings,
    UsmUser,
)
from muster.collector.snmp.errors import (
    SnmpAuthError,
    SnmpError,
    SnmpResponseError,
    SnmpTimeoutError,
)
from muster.collector.snmp.walk import Oid, Value, format_oid

logger = logging.getLogger(__name__)

_AUTH = {
    AuthProtocol.MD5: USM_AUTH_HMAC96_MD5,
    AuthProtocol.SHA: USM_AUTH_HMAC96_SHA,
    AuthProtocol.SHA224: USM_AUTH_HMAC128_SHA224,
    AuthProtocol.SHA256: USM_AUTH_HMAC192_SHA256,
    AuthProtocol.SHA384: USM_AUTH_HMAC256_SHA384,
    AuthProtocol.SHA512: USM_AUTH_HMAC384_SHA512,
}
_PRIV = {
    PrivProtocol.DES: USM_PRIV_CBC56_DES,
    PrivProtocol.TRIPLE_DES: USM_PRIV_CBC168_3DES,
    PrivProtocol.AES128: USM_PRIV_CFB128_AES,
    PrivProtocol.AES192: USM_PRIV_CFB192_AES,
    PrivProtocol.AES256: USM_PRIV_CFB256_AES,
}
# pysnmp's error indications that mean "the agent refused who we said we were".
_AUTH_FAILURES = (
    errind.UnknownUserName,
    errind.WrongDigest,
    errind.AuthenticationFailure,
    errind.AuthenticationError,
    errind.DecryptionError,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.NotInTimeWindow,
    errind.UnknownCommunityName,
)
_ABSENT = (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, univ.Null)
_GET = cmdgen.GetCommandGenerator()
_BULK = cmdgen.BulkCommandGenerator()


def auth_data(credential: CommunityV2c | UsmUser) -> CommunityData | UsmUserData:
    """Return pysnmp's authentication data for a credential."""
    if isinstance(credential, CommunityV2c):
        # v2c is what most sites still run; the issue asks for it next to v3.
        return CommunityData(credential.community.get_secret_value(), mpModel=1)  # noqa: S508
    return UsmUserData(
        credential.user,
        authKey=credential.auth_key.get_secret_value() if credential.auth_key else None,
        privKey=credential.priv_key.get_secret_value() if credential.priv_key else None,
        authProtocol=_AUTH[credential.auth_protocol] if credential.auth_protocol else None,
        privProtocol=_PRIV[credential.priv_protocol] if credential.priv_protocol else None,
    )


def to_value(value: Any) -> Value | None:
    """Convert a pysnmp value to a walk value; None for 'no such object' and NULL."""
    if isinstance(value, _ABSENT):
        return None
    if isinstance(value, rfc1902.IpAddress):
        return ipaddress.IPv4Address(value.asOctets())
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return tuple(value)
    if isinstance(value, univ.Integer):
        return int(value)
    raise SnmpResponseError(f"unexpected SNMP value type {type(value).__name__!r}")


class SnmpClient:
    """The SNMP engine shared by every session of one inventory run."""

    def __init__(self, settings: SnmpSettings) -> None:
        self.settings = settings
        self.engine = SnmpEngine()

    async def session(
        self,
        address: str,
        credential: CommunityV2c | UsmUser,
        *,
        timeout: float,
        retries: int,
        context: str = "",
    ) -> "SnmpSession":
        """Open a session to one device (in an SNMPv3 context); sends nothing until asked."""
        target = await UdpTransportTarget.create(
            (address, self.settings.port), timeout=timeout, retries=retries
        )
        return SnmpSession(self, address, credential, target, context.encode())

    def close(self) -> None:
        """Close the engine's socket."""
        self.engine.close_dispatcher()


class SnmpSession:
    """One device, one credential: GET and GETBULK walks returning raw varbinds."""

    def __init__(
        self,
        client: SnmpClient,
        address: str,
        credential: CommunityV2c | UsmUser,
        target: UdpTransportTarget,
        context: bytes = b"",
    ) -> None:
        self.client = client
        self.address = address
        self.credential = credential
        self._target = target
        self._context = context
        self._auth = auth_data(credential)

    async def get(self, oids: Sequence[Oid]) -> list[tuple[Oid, Value]]:
        """GET scalars; objects the agent does not have are left out."""
        request = [(rfc1902.ObjectName(oid), univ.Null("")) for oid in oids]
        error, status, index, varbinds = await self._send(_GET, request)
        self._check(error, status, index, "GET")
        return [
            (tuple(name), value) for name, raw in varbinds if (value := to_value(raw)) is not None
        ]

    async def walk(self, columns: Sequence[Oid]) -> list[tuple[Oid, Value]]:
        """Walk table columns together with GETBULK until each leaves its subtree."""
        settings = self.client.settings
        found: list[tuple[Oid, Value]] = []
        per_request = max(1, settings.max_varbinds)
        for start in range(0, len(columns), per_request):
            group = list(columns[start : start + per_request])
            found.extend(await self._walk_group(group, settings))
        return found

    async def _walk_group(
        self, columns: list[Oid], settings: SnmpSettings
    ) -> list[tuple[Oid, Value]]:
        last = {column: column for column in columns}
        rows = dict.fromkeys(columns, 0)
        found: list[tuple[Oid, Value]] = []
        while last:
            active = list(last)
            repetitions = max(
                1, min(settings.max_repetitions, settings.max_varbinds // len(active))
            )
            request = [(rfc1902.ObjectName(last[c]), univ.Null("")) for c in active]
            error, status, index, varbinds = await self._send(_BULK, request, repetitions)
            self._check(error, status, index, "GETBULK")
            progressed = False
            finished: set[Oid] = set()
            # A GETBULK answer lists repetition by repetition, each in request order.
            for position, (name, raw) in enumerate(varbinds):
                column = active[position % len(active)]
                if column in finished:
                    continue
                oid: Oid = tuple(name)
                if (
                    isinstance(raw, rfc1905.EndOfMibView)
                    or oid[: len(column)] != column
                    or oid <= last[column]
                ):
                    finished.add(column)
                    continue
                last[column] = oid
                progressed = True
                rows[column] += 1
                value = to_value(raw)
                if value is not None:
                    found.append((oid, value))
                if rows[column] >= settings.max_rows:
                    logger.warning(
                        "%s: column %s stopped at %d rows",
                        self.address,
                        format_oid(column),
                        rows[column],
                    )
                    finished.add(column)
            for column in finished:
                last.pop(column, None)
            if not progressed:
                break
        return found

    async def _send(
        self, generator: Any, varbinds: list[tuple[Any, Any]], repetitions: int | None = None
    ) -> tuple[Any, Any, Any, list[tuple[Any, Any]]]:
        """Send one request and wait for its answer (pysnmp retries and times out)."""
        engine = self.client.engine
        target_name, _params = LCD.configure(engine, self._auth, self._target, self._context)
        answer: asyncio.Future[tuple[Any, Any, Any, list[tuple[Any, Any]]]]
        answer = asyncio.get_running_loop().create_future()

        def received(
            _engine: Any, _handle: Any, error: Any, status: Any, index: Any, found: Any, _ctx: Any
        ) -> None:
            if not answer.done():
                answer.set_result((error, status, index, list(found or ())))

        if repetitions is None:
            generator.send_varbinds(engine, target_name, None, self._context, varbinds, received)
        else:
            generator.send_varbinds(
                engine, target_name, None, self._context, 0, repetitions, varbinds, received
            )
        return await answer

    def _check(self, error: Any, status: Any, index: Any, what: str) -> None:
        name = self.credential.name
        if error is None and not status:
            return
        if isinstance(error, errind.RequestTimedOut):
            raise SnmpTimeoutError(
                f"{self.address}: no answer to SNMP {what} with credential {name!r}"
            )
        if isinstance(error, _AUTH_FAILURES):
            raise SnmpAuthError(f"{self.address}: credential {name!r} refused: {error}")
        if error is not None:
            raise SnmpResponseError(f"{self.address}: SNMP {what} failed: {error}")
        raise SnmpResponseError(
            f"{self.address}: SNMP {what} answered {status.prettyPrint()} at varbind {int(index)}"
        )


__all__ = ["SnmpClient", "SnmpError", "SnmpSession", "auth_data", "to_value"]
