"""ARP sweep of directly attached segments: who is there, and their MACs.

Every host on a segment must answer ARP to talk at all, so this finds hosts
that ignore ping. The interface and source address come from the routing
table (a target reached without a gateway is attached); requests go out in
rounds, paced by the rate limit, and targets that stayed silent are asked
again (``retries``). Replies are read from a packet socket that the kernel
already filters to ARP, without libpcap. Needs root (raw packets).
"""

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from muster.cmdb.observation import Observation
from muster.collector.scope import ScopeError
from muster.collector.techniques.base import ProbeContext, Technique

logger = logging.getLogger(__name__)

ETH_P_ARP = 0x0806
BROADCAST = "ff:ff:ff:ff:ff:ff"


def _routes() -> Any:
    """Return scapy's copy of the kernel routing table, read afresh."""
    import scapy.route  # noqa: F401 -- importing it sets conf.route
    from scapy.config import conf

    conf.route.resync()
    return conf.route


def attached_segments(targets: Sequence[str]) -> dict[tuple[str, str], list[str]]:
    """Group the targets reached without a gateway by (interface, source address)."""
    routes = _routes()
    groups: dict[tuple[str, str], list[str]] = {}
    for address in targets:
        iface, source, gateway = routes.route(address, verbose=0)
        if gateway == "0.0.0.0" and iface != "lo" and source != "0.0.0.0":  # noqa: S104
            groups.setdefault((str(iface), str(source)), []).append(address)
    return groups


def _request(iface_mac: str, source: str, target: str) -> bytes:
    from scapy.layers.l2 import ARP, Ether

    frame = Ether(dst=BROADCAST, src=iface_mac) / ARP(
        op=1, hwsrc=iface_mac, psrc=source, pdst=target
    )
    return bytes(frame)


def _reply(frame: bytes) -> tuple[str, str] | None:
    """Return (address, MAC) of an ARP reply frame, or None for anything else."""
    from scapy.layers.l2 import ARP, Ether

    packet = Ether(frame)
    arp = packet.getlayer(ARP)
    if arp is None or arp.op != 2:
        return None
    return str(arp.psrc), str(arp.hwsrc)


class _Segment:
    """One ARP sweep of one attached segment."""

    def __init__(self, iface: str, source: str, context: ProbeContext) -> None:
        from scapy.arch import get_if_hwaddr

        self.iface = iface
        self.source = source
        self.context = context
        self.mac = str(get_if_hwaddr(iface))
        self.replies: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        self.sock.bind((iface, ETH_P_ARP))
        self.sock.setblocking(False)

    def _readable(self) -> None:
        while True:
            try:
                frame = self.sock.recv(2048)
            except BlockingIOError:
                return
            except OSError as exc:
                logger.debug("ARP socket on %s: %s", self.iface, exc)
                return
            reply = _reply(frame)
            if reply is not None:
                self.replies.put_nowait(reply)

    async def sweep(self, targets: list[str]) -> AsyncIterator[tuple[str, str]]:
        """Yield (address, MAC) for each target that answers, in rounds with retries."""
        loop = asyncio.get_running_loop()
        loop.add_reader(self.sock.fileno(), self._readable)
        pending = dict.fromkeys(targets)
        try:
            for _round in range(1 + self.context.retries):
                if not pending:
                    break
                for address in list(pending):
                    try:
                        self.context.permit(address)
                    except ScopeError as exc:
                        self.context.error(str(exc))
                        pending.pop(address, None)
                        continue
                    await self.context.limiter.acquire()
                    self.sock.send(_request(self.mac, self.source, address))
                    for found in self._drain(pending):
                        yield found
                deadline = time.monotonic() + self.context.timeout
                while pending and (left := deadline - time.monotonic()) > 0:
                    with contextlib.suppress(TimeoutError):
                        reply = await asyncio.wait_for(self.replies.get(), left)
                        self.replies.put_nowait(reply)
                    for found in self._drain(pending):
                        yield found
        finally:
            loop.remove_reader(self.sock.fileno())
            self.sock.close()
            self.context.probed(len(pending))

    def _drain(self, pending: dict[str, None]) -> list[tuple[str, str]]:
        found = []
        while not self.replies.empty():
            address, mac = self.replies.get_nowait()
            if address in pending:
                del pending[address]
                self.context.probed()
                found.append((address, mac))
        return found


async def arp_sweep(targets: Sequence[str], context: ProbeContext) -> AsyncIterator[Observation]:
    """Yield an ``arp`` Observation (address and MAC) for every attached target that answers."""
    segments = attached_segments(targets)
    routed = len(targets) - sum(len(group) for group in segments.values())
    if routed:
        logger.debug("ARP: %d targets are behind a gateway; ICMP covers them", routed)
        context.probed(routed)
    for (iface, source), group in segments.items():
        logger.info("ARP sweep of %d addresses on %s from %s", len(group), iface, source)
        segment = _Segment(iface, source, context)
        async for address, mac in segment.sweep(group):
            context.macs[address] = mac
            yield context.observation("arp", address, mac=mac)


TECHNIQUE = Technique(
    name="arp",
    stage="liveness",
    run=arp_sweep,
    needs_root=True,
    summary="ARP requests on attached segments: live hosts and their MACs",
)
