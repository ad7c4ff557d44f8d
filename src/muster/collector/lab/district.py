"""The demo district: two schools, the devices on their segments, and what each runs.

Lincoln Elementary's segment is attached to the collector (ARP reaches it);
Roosevelt Middle's is behind the lab's router (only routed probes reach it).
Every device is a network namespace of its own with a MAC from its maker's
registered range, so the CMDB names vendors as it would on a real network.
"""

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["snmpd", "snmpsim", "tcp", "ping-only", "arp-only"]

LAB_NET = "10.77"


@dataclass(frozen=True)
class School:
    """A school's segment: a bridge in the lab's core namespace."""

    code: str
    name: str
    index: int
    community: str
    priority: int = 0

    @property
    def subnet(self) -> str:
        return f"{LAB_NET}.{self.index}.0/24"

    @property
    def gateway(self) -> str:
        return f"{LAB_NET}.{self.index}.1"


@dataclass(frozen=True)
class Device:
    """A device of the lab: its segment, address, MAC and what answers on it."""

    name: str
    school: str
    host: int
    mac: str
    role: Role
    ports: tuple[int, ...] = ()
    walk: str | None = None
    # For the real snmpd: the identity it reports.
    sys_descr: str | None = None
    sys_object_id: str | None = None
    sys_location: str | None = None
    # Bridge port of this switch for each device of its school (by device name).
    bridge_ports: dict[str, int] = field(default_factory=dict)
    excluded: bool = False


SCHOOLS = (
    School("lincoln-es", "Lincoln Elementary", 1, "lincoln-ro", priority=10),
    School("roosevelt-ms", "Roosevelt Middle", 2, "roosevelt-ro", priority=5),
)

DEVICES = (
    Device(
        "sw-lincoln",
        "lincoln-es",
        2,
        "00:16:c7:02:6e:c1",
        "snmpsim",
        ports=(22, 23),
        walk="debian:cisco_16_switch",
        bridge_ports={"srv-lincoln": 118, "prn-lincoln": 122, "ups-lincoln": 123, "quiet": 124},
    ),
    Device(
        "srv-lincoln",
        "lincoln-es",
        10,
        "00:14:22:77:01:10",
        "snmpd",
        ports=(22, 80, 443),
        sys_location="Lincoln server closet",
    ),
    Device(
        "prn-lincoln",
        "lincoln-es",
        20,
        "00:1b:78:77:01:20",
        "snmpd",
        ports=(515, 631, 9100),
        sys_descr="HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD128,EEPROM V.28.63",
        sys_object_id="1.3.6.1.4.1.11.2.3.9.1",
        sys_location="Lincoln library",
    ),
    Device(
        "ups-lincoln",
        "lincoln-es",
        30,
        "00:20:85:eb:df:d0",
        "snmpsim",
        ports=(80,),
        walk="pypi:UPS/eaton-93e-80",
    ),
    Device("quiet", "lincoln-es", 40, "00:1b:21:77:01:40", "arp-only"),
    Device("excluded", "lincoln-es", 50, "00:1b:21:77:01:50", "tcp", ports=(80,), excluded=True),
    Device(
        "sw-roosevelt",
        "roosevelt-ms",
        2,
        "00:1c:2e:77:02:02",
        "snmpsim",
        ports=(22,),
        walk="debian:hp_perf",
        bridge_ports={"ws-roosevelt": 3, "ap-roosevelt": 5, "pinger": 7},
    ),
    Device("ws-roosevelt", "roosevelt-ms", 10, "00:14:22:77:02:10", "tcp", ports=(22, 445, 3389)),
    Device(
        "ap-roosevelt",
        "roosevelt-ms",
        20,
        "04:18:d6:2b:0a:92",
        "snmpsim",
        ports=(22, 443),
        walk="pypi:network/wifi/ubiquiti-m5",
    ),
    Device("pinger", "roosevelt-ms", 30, "00:1b:21:77:02:30", "ping-only"),
)


def school(code: str) -> School:
    """Return a school of the district by code."""
    return next(s for s in SCHOOLS if s.code == code)


def address(device: Device) -> str:
    """Return a device's address."""
    return f"{LAB_NET}.{school(device.school).index}.{device.host}"


def config_toml(*, rate_limit: int = 2000, profile: str = "standard") -> str:
    """Return the configuration file that declares the district's schools."""
    parts = ["[defaults]", f"rate_limit = {rate_limit}", f'profile = "{profile}"', ""]
    for s in SCHOOLS:
        excluded = [address(d) for d in DEVICES if d.school == s.code and d.excluded]
        parts += [
            "[[site]]",
            f'code = "{s.code}"',
            f'name = "{s.name}"',
            f'subnets = ["{s.subnet}"]',
            f"exclude = [{', '.join(repr(a).replace(chr(39), chr(34)) for a in excluded)}]",
            f"priority = {s.priority}",
            "",
            "[[site.snmp]]",
            'version = "2c"',
            f'community_env = "{community_env(s)}"',
            "",
        ]
    return "\n".join(parts)


def community_env(s: School) -> str:
    """Return the environment variable that holds a school's community."""
    return s.code.upper().replace("-", "_") + "_RO"
