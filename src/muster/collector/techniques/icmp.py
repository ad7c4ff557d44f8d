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
import time
from collections.abc import AsyncIterator, Sequence

from muster.cmdb.observation import Observation
from muster.collector.scope import ScopeError
from muster.collector.techniques.base import ProbeContext, Technique

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
    """Open an ICMP socket: raw for root, datagram otherwise; say whether it is raw."""
    if os.geteuid() == 0:
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), True
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), False


class _Pinger:
    def __init__(self, context: ProbeContext) -> None:
        self.context = context
        self.sock, self.raw = open_icmp_socket()
        self.sock.setblocking(False)
        self.identifier = os.getpid() & 0xFFFF
        self.replies: asyncio.Queue[str] = asyncio.Queue()

    def _readable(self) -> None:
        while True:
            try:
                data, (address, _port) = self.sock.recvfrom(2048)
            except BlockingIOError:
                return
            except OSError as exc:
                logger.debug("ICMP socket: %s", exc)
                return
            if self.raw:
                data = data[(data[0] & 0x0F) * 4 :]
            if len(data) >= 8 and data[0] == ECHO_REPLY:
                # Datagram sockets rewrite the identifier and match it themselves.
                identifier = struct.unpack("!H", data[4:6])[0]
                if not self.raw or identifier == self.identifier:
                    self.replies.put_nowait(address)

    async def sweep(self, targets: Sequence[str]) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        loop.add_reader(self.sock.fileno(), self._readable)
        pending = dict.fromkeys(targets)
        try:
            for attempt in range(1 + self.context.retries):
                if not pending:
                    break
                for sequence, address in enumerate(list(pending)):
                    try:
                        self.context.permit(address)
                    except ScopeError as exc:
                        self.context.error(str(exc))
                        pending.pop(address, None)
                        continue
                    await self.context.limiter.acquire()
                    packet = echo_request(self.identifier, (attempt << 12 | sequence) & 0xFFFF)
                    with contextlib.suppress(OSError):  # unreachable: simply no answer
                        self.sock.sendto(packet, (address, 0))
                    for found in self._drain(pending):
                        yield found
                deadline = time.monotonic() + self.context.timeout
                while pending and (left := deadline - time.monotonic()) > 0:
                    with contextlib.suppress(TimeoutError):
                        self.replies.put_nowait(await asyncio.wait_for(self.replies.get(), left))
                    for found in self._drain(pending):
                        yield found
        finally:
            loop.remove_reader(self.sock.fileno())
            self.sock.close()
            self.context.probed(len(pending))

    def _drain(self, pending: dict[str, None]) -> list[str]:
        found = []
        while not self.replies.empty():
            address = self.replies.get_nowait()
            if address in pending:
                del pending[address]
                self.context.probed()
                found.append(address)
        return found


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


TECHNIQUE = Technique(
    name="icmp",
    stage="liveness",
    run=icmp_sweep,
    summary="ICMP echo requests: live hosts on routed segments",
)
