"""ARP sweep of directly attached segments: who is there, and their MACs.

Every host on a segment must answer ARP to talk at all, so this finds hosts
that ignore ping. The interface and source address come from the routing
table (a target reached without a gateway is attached); requests go out in
rounds, paced by the rate limit, and targets that stayed silent are asked
again (``retries``). scapy builds the request and reads the routes; the
frames go out and come back on a packet socket the kernel already filters to
ARP, without libpcap. Needs root (raw packets).
"""

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import scapy.route  # noqa: F401 -- importing it fills conf.route
from scapy.arch import get_if_hwaddr
from scapy.config import conf
from scapy.layers.l2 import ARP, Ether

from muster.cmdb.observation import Observation
from muster.collector.techniques.base import ProbeContext, Technique
from muster.collector.techniques.rounds import Rounds, open_receiver, receive

logger = logging.getLogger(__name__)

ETH_P_ARP = 0x0806
BROADCAST = "ff:ff:ff:ff:ff:ff"
TARGET_AT = 38
ARP_END = 42
# A routing table read this many seconds ago or less is used as it is: a sweep
# asks for it twice (which targets are attached, then their interfaces), right
# after importing scapy.route has read it, and each read takes milliseconds.
ROUTES_FRESH_FOR = 1.0
_routes_read_at = time.monotonic()


def _routes() -> Any:
    """Return scapy's copy of the kernel routing table, read afresh unless just read."""
    global _routes_read_at
    if time.monotonic() - _routes_read_at > ROUTES_FRESH_FOR:
        conf.route.resync()
        _routes_read_at = time.monotonic()
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


def request_template(iface_mac: str, source: str) -> bytes:
    """Build a broadcast ARP who-has from this interface; the target goes in last."""
    frame = Ether(dst=BROADCAST, src=iface_mac) / ARP(
        op=1,
        hwsrc=iface_mac,
        psrc=source,
        pdst="0.0.0.0",  # noqa: S104
    )
    return bytes(frame)


def _reply(frame: bytes) -> tuple[str, str] | None:
    """Return (address, MAC) of an ARP reply frame, or None for anything else."""
    if len(frame) < ARP_END or frame[12:14] != b"\x08\x06" or frame[20:22] != b"\x00\x02":
        return None
    mac = ":".join(f"{octet:02x}" for octet in frame[22:28])
    return socket.inet_ntoa(frame[28:32]), mac


class _Segment:
    """One ARP sweep of one attached segment."""

    def __init__(self, iface: str, source: str, context: ProbeContext) -> None:
        self.iface = iface
        self.source = source
        self.mac = str(get_if_hwaddr(iface))
        self.template = request_template(self.mac, source)
        self.rounds: Rounds[str] = Rounds(context, self._send)
        # Opened for no protocol, then bound to ARP on the interface: a socket
        # opened for ARP would already listen on every interface, and binding
        # it would wait for the kernel's RCU grace period (about 10 ms).
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.sock.bind((iface, ETH_P_ARP))
        open_receiver(self.sock)

    def _send(self, address: str, _round: int) -> None:
        # The target's address is the frame's last four bytes (Ethernet 14 + ARP 28).
        self.sock.send(self.template[:TARGET_AT] + socket.inet_aton(address))

    def _readable(self) -> None:
        while True:
            try:
                received = receive(self.sock)
            except OSError as exc:
                logger.debug("ARP socket on %s: %s", self.iface, exc)
                return
            if received is None:
                return
            frame, _sender, stamp = received
            reply = _reply(frame)
            if reply is not None:
                self.rounds.replies.put_nowait((*reply, stamp))

    async def sweep(self, targets: list[str]) -> AsyncIterator[tuple[str, str]]:
        """Yield (address, MAC) for each target that answers, in rounds with retries."""
        loop = asyncio.get_running_loop()
        loop.add_reader(self.sock.fileno(), self._readable)
        try:
            async for found in self.rounds.sweep(targets):
                yield found
        finally:
            loop.remove_reader(self.sock.fileno())
            self.sock.close()


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
