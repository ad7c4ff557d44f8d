"""Request/reply sweeps in rounds (ARP, ICMP echo): send to every target, collect, retry.

A round sends one request to each silent target (each passed by the scope
guard, paced by the rate limit), then waits for replies. Like nmap, the wait
adapts: until the first reply it is the full ``timeout``; once replies come,
a round ends when none has arrived for a few times the typical round trip
(the 90th percentile seen), so a segment that answers in a millisecond is
not waited on for a second. Targets still silent get ``retries`` more rounds.

A reply counts whenever it comes, to any round's request, until the last
round ends. So only the last round waits at least ``MIN_SETTLE`` of silence,
the time a slow host has to answer: every request, first or retried, gets
that long. A round followed by another waits at least ``MIN_RETRY_WAIT``
before asking the silent targets again; a host that answers the first
request later than that is still found, and only gets one request more.
Sending yields to the event loop every ``YIELD_EVERY`` requests, so replies
are timed as they arrive.
"""

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Generic, TypeVar

from muster.collector.scope import ScopeError
from muster.collector.techniques.base import ProbeContext

T = TypeVar("T")

SO_RCVBUFFORCE = 33  # Linux; lets root set a buffer beyond net.core.rmem_max
SO_TIMESTAMPNS = 35  # Linux; the kernel stamps each datagram with its arrival time
RECEIVE_BUFFER = 4 * 1024 * 1024
MIN_SETTLE = 0.2
MIN_RETRY_WAIT = 0.05
RTT_FACTOR = 4.0
YIELD_EVERY = 16


def open_receiver(sock: socket.socket) -> None:
    """Prepare a socket to receive a burst of replies, each stamped by the kernel.

    The buffer is large so a /24's replies are not dropped while the event
    loop is busy; kernel time stamps make round trips true even then.
    """
    sock.setblocking(False)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
    except PermissionError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)


def receive(sock: socket.socket) -> tuple[bytes, Any, float] | None:
    """Read one datagram: (data, sender, kernel receive time), or None when there is none."""
    try:
        data, ancillary, _flags, sender = sock.recvmsg(4096, 64)
    except BlockingIOError:
        return None
    stamp = time.time()
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            seconds, nanoseconds = struct.unpack("qq", value[:16])
            stamp = seconds + nanoseconds / 1e9
    return data, sender, stamp


class Rounds(Generic[T]):
    """Runs the rounds; ``replies`` receives (address, what the reply said, when) from a reader.

    Times are wall-clock seconds (``time.time()``), as the kernel stamps them.
    """

    def __init__(self, context: ProbeContext, send: Callable[[str, int], None]) -> None:
        self.context = context
        self.send = send
        self.replies: asyncio.Queue[tuple[str, T, float]] = asyncio.Queue()
        self.sent_at: dict[str, float] = {}
        self.round_trips: list[float] = []
        # Asked more than once: their replies say nothing of the round trip (Karn).
        self.retried: set[str] = set()
        self.last_reply: float | None = None

    async def sweep(self, targets: Sequence[str]) -> AsyncIterator[tuple[str, T]]:
        """Yield (address, reply) for each target that answers."""
        pending = dict.fromkeys(targets)
        rounds = 1 + self.context.retries
        try:
            for round_ in range(rounds):
                if not pending:
                    break
                for number, address in enumerate(list(pending)):
                    if not self._allowed(address, pending):
                        continue
                    await self.context.limiter.acquire()
                    if address in self.sent_at:
                        self.retried.add(address)
                    self.sent_at[address] = time.time()
                    self.send(address, round_)
                    if number % YIELD_EVERY == YIELD_EVERY - 1:
                        await asyncio.sleep(0)
                    for found in self._drain(pending):
                        yield found
                last = round_ == rounds - 1
                async for found in self._settle(pending, MIN_SETTLE if last else MIN_RETRY_WAIT):
                    yield found
        finally:
            self.context.probed(len(pending))

    def _allowed(self, address: str, pending: dict[str, None]) -> bool:
        try:
            self.context.permit(address)
        except ScopeError as exc:
            self.context.error(str(exc))
            pending.pop(address, None)
            return False
        return True

    async def _settle(
        self, pending: dict[str, None], least: float
    ) -> AsyncIterator[tuple[str, T]]:
        """Collect replies for ``timeout``, or once replies come, until ``least`` of silence."""
        last_send = time.time()
        deadline = last_send + self.context.timeout
        while pending:
            now = time.time()
            wait = deadline - now
            if self.last_reply is not None:
                quiet_since = max(last_send, self.last_reply)
                settle = min(self.context.timeout, max(least, RTT_FACTOR * self._typical()))
                wait = min(wait, quiet_since + settle - now)
            if wait <= 0:
                return
            with contextlib.suppress(TimeoutError):
                self.replies.put_nowait(await asyncio.wait_for(self.replies.get(), wait))
            for found in self._drain(pending):
                yield found

    def _typical(self) -> float:
        """Return the 90th percentile of the round trips seen so far."""
        ordered = sorted(self.round_trips)
        return ordered[int(0.9 * (len(ordered) - 1))] if ordered else 0.0

    def _drain(self, pending: dict[str, None]) -> list[tuple[str, T]]:
        found = []
        while not self.replies.empty():
            address, reply, received = self.replies.get_nowait()
            if address not in pending:
                continue
            self.last_reply = max(self.last_reply or received, received)
            if address not in self.retried:
                self.round_trips.append(max(0.0, received - self.sent_at.get(address, received)))
            del pending[address]
            self.context.probed()
            found.append((address, reply))
        return found
