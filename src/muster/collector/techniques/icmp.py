"""ICMP echo sweep: which addresses of routed segments answer ping.

One socket sends an echo request to every target, paced by the rate limit,
and collects replies as they come; silent targets are asked again
(``retries``). Root uses a raw socket; others an unprivileged ICMP datagram
socket, which Linux allows to the groups in ``net.ipv4.ping_group_range``.
"""

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections.abc import AsyncIterator, Sequence

from muster.cmdb.observation import Observation
from muster.collector.techniques.base import ProbeContext, Technique, raw_sockets_allowed
from muster.collector.techniques.rounds import Rounds, open_receiver, receive

logger = logging.getLogger(__name__)

ECHO_REQUEST = 8
ECHO_REPLY = 0


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def echo_request(identifier: int, sequence: int) -> bytes:
    """Build an ICMP echo request with a valid checksum."""
    payload = b"muster-sweep"
    header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, identifier, sequence)
    checksum = _checksum(header + payload)
    return struct.pack("!BBHHH", ECHO_REQUEST, 0, checksum, identifier, sequence) + payload


def open_icmp_socket() -> tuple[socket.socket, bool]:
    """Open an ICMP socket: raw when allowed, datagram otherwise; say whether it is raw."""
    if raw_sockets_allowed():
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), True
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), False


class _Pinger:
    def __init__(self, context: ProbeContext) -> None:
        self.sock, self.raw = open_icmp_socket()
        open_receiver(self.sock)
        self.identifier = os.getpid() & 0xFFFF
        self.sequence = 0
        self.rounds: Rounds[None] = Rounds(context, self._send)

    def _send(self, address: str, round_: int) -> None:
        self.sequence = (self.sequence + 1) & 0xFFFF
        with contextlib.suppress(OSError):  # unreachable: simply no answer
            self.sock.sendto(echo_request(self.identifier, self.sequence), (address, 0))

    def _readable(self) -> None:
        while True:
            try:
                received = receive(self.sock)
            except OSError as exc:
                logger.debug("ICMP socket: %s", exc)
                return
            if received is None:
                return
            data, (address, _port), stamp = received
            if self.raw:
                data = data[(data[0] & 0x0F) * 4 :]
            if len(data) >= 8 and data[0] == ECHO_REPLY:
                # Datagram sockets rewrite the identifier and match it themselves.
                identifier = struct.unpack("!H", data[4:6])[0]
                if not self.raw or identifier == self.identifier:
                    self.rounds.replies.put_nowait((address, None, stamp))

    async def sweep(self, targets: Sequence[str]) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.sock.fileno(), self._readable)
        try:
            async for address, _reply in self.rounds.sweep(targets):
                yield address
        finally:
            loop.remove_reader(self.sock.fileno())
            self.sock.close()


async def icmp_sweep(targets: Sequence[str], context: ProbeContext) -> AsyncIterator[Observation]:
    """Yield an ``icmp`` Observation for every target that answers an echo request."""
    if not targets:
        return
    try:
        pinger = _Pinger(context)
    except PermissionError as exc:
        context.error(
            f"ICMP sweep skipped: {exc.strerror}; run as root or allow this group in "
            "net.ipv4.ping_group_range"
        )
        context.probed(len(targets))
        return
    logger.info("ICMP echo sweep of %d addresses", len(targets))
    async for address in pinger.sweep(targets):
        yield context.observation("icmp", address)


class _IcmpTechnique(Technique):
    def unavailable(self) -> str | None:
        # Without ICMP the sweep falls back to TCP probes of every address.
        try:
            sock, _raw = open_icmp_socket()
        except PermissionError:
            return "icmp needs root or this group in net.ipv4.ping_group_range"
        sock.close()
        return super().unavailable()


TECHNIQUE = _IcmpTechnique(
    name="icmp",
    stage="liveness",
    run=icmp_sweep,
    summary="ICMP echo requests: live hosts on routed segments",
)
