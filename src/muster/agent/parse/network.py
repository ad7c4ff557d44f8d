"""Network interfaces and default gateways: `ip -j addr` and /proc/net on Linux, else psutil."""

import ipaddress
import json
import logging
import re
from typing import Any

from muster.agent.facts import InterfaceFacts, LinkStatus

logger = logging.getLogger(__name__)

_RTF_GATEWAY = 0x2
_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")
# ip(8)'s operstate (RFC 2863) in the CMDB's three words.
_OPER_STATES: dict[str, LinkStatus] = {
    "UP": "up",
    "DOWN": "down",
    "LOWERLAYERDOWN": "down",
    "NOTPRESENT": "down",
    "DORMANT": "down",
    "UNKNOWN": "unknown",
    "TESTING": "unknown",
}


def parse_ip_addr(text: str, speeds: dict[str, int | None]) -> list[InterfaceFacts]:
    """Turn ``ip -j addr show`` into interfaces, loopback left out; speeds by name in bits/s."""
    interfaces = []
    for link in _json_list(text, "ip -j addr"):
        name = link.get("ifname")
        if not name or link.get("link_type") == "loopback":
            continue
        addresses = tuple(
            _address(info["local"]) for info in link.get("addr_info", []) if "local" in info
        )
        interfaces.append(
            InterfaceFacts(
                name=name,
                mac=_mac(link.get("address")),
                addresses=tuple(a for a in addresses if a),
                speed_bps=speeds.get(name),
                oper_status=_OPER_STATES.get(str(link.get("operstate")), "unknown"),
                admin_status="up" if "UP" in link.get("flags", []) else "down",
            )
        )
    return interfaces


def parse_psutil_nics(nics: dict[str, Any]) -> list[InterfaceFacts]:
    """Turn psutil's addresses and stats (as captured) into interfaces, loopback left out."""
    interfaces = []
    for name, nic in sorted(nics.items()):
        addresses = [a for a in nic["addresses"] if a["family"] in ("inet", "inet6")]
        ips = tuple(ip for ip in (_address(a["address"]) for a in addresses) if ip)
        if ips and all(ipaddress.ip_address(ip).is_loopback for ip in ips):
            continue
        macs = [_mac(a["address"]) for a in nic["addresses"] if a["family"] == "link"]
        isup = nic.get("isup")
        interfaces.append(
            InterfaceFacts(
                name=name,
                mac=next((mac for mac in macs if mac), None),
                addresses=ips,
                speed_bps=speed_bps(nic.get("speed_mbps")),
                oper_status=None if isup is None else ("up" if isup else "down"),
                admin_status=None,
            )
        )
    return interfaces


def psutil_speeds(nics: dict[str, Any] | None) -> dict[str, int | None]:
    """Return each interface's speed in bits/s from psutil's readings."""
    return {name: speed_bps(nic.get("speed_mbps")) for name, nic in (nics or {}).items()}


def speed_bps(mbps: int | None) -> int | None:
    """Convert psutil's Mb/s to bits/s; psutil says 0 when the speed is unknown."""
    return mbps * 1_000_000 if mbps and mbps > 0 else None


def parse_proc_route(text: str) -> str | None:
    """Return the IPv4 default gateway from /proc/net/route (addresses in hex, host order)."""
    for line in text.splitlines()[1:]:
        columns = line.split()
        if len(columns) < 8 or columns[1] != "00000000" or columns[7] != "00000000":
            continue
        if int(columns[3], 16) & _RTF_GATEWAY:
            return str(ipaddress.IPv4Address(bytes.fromhex(columns[2])[::-1]))
    return None


def parse_proc_ipv6_route(text: str) -> str | None:
    """Return the IPv6 default gateway from /proc/net/ipv6_route."""
    for line in text.splitlines():
        columns = line.split()
        if len(columns) < 10 or columns[0] != "0" * 32 or columns[1] != "00":
            continue
        if int(columns[8], 16) & _RTF_GATEWAY and columns[4] != "0" * 32:
            return str(ipaddress.IPv6Address(bytes.fromhex(columns[4])))
    return None


def _json_list(text: str, what: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        logger.warning("%s output is not JSON (%s); its facts are absent", what, exc.msg)
        return []
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _mac(text: object) -> str | None:
    if not isinstance(text, str) or not _MAC.match(text):
        return None  # InfiniBand's 20-byte addresses, tunnels without one
    mac = text.lower().replace("-", ":")
    return None if mac == "00:00:00:00:00:00" else mac


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.partition("%")[0]))
    except ValueError:
        logger.debug("%r is not an address; left out", text)
        return None
