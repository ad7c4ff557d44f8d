"""The benchmark's lab segment: a /24 on a bridge, a collector, and macvlan hosts.

One namespace holds every host, one macvlan (own MAC, own address) each;
they answer ARP only for their own address, like separate machines. All
namespaces are named ``mstr-<pid>-...`` and have no route out.
"""

import os
import subprocess
import tempfile
from pathlib import Path

from muster.collector.lab import netns

NET = "10.78.0"


class Segment:
    """A /24 with a collector and ``hosts`` macvlan hosts, all in mstr-<pid>-* namespaces."""

    def __init__(self, hosts: int, *, net: str = NET, name: str = "b") -> None:
        tag = f"{netns.PREFIX}{os.getpid()}-{name}"
        self.wire, self.hosts_ns, self.collector = f"{tag}wire", f"{tag}hosts", f"{tag}coll"
        self.hosts = hosts
        self.net = net
        self.processes: list[subprocess.Popen[bytes]] = []

    def up(self) -> None:
        netns.remove_stale()
        for name in (self.wire, self.hosts_ns, self.collector):
            netns.add(name)
        netns.ip("link", "add", "br0", "type", "bridge", namespace=self.wire)
        netns.ip("link", "set", "br0", "up", namespace=self.wire)
        for name, peer, address in (
            (self.collector, "pc", f"{self.net}.250/24"),
            (self.hosts_ns, "ph", None),
        ):
            veth = ["eth0", "netns", name, "type", "veth", "peer", "name", peer]
            netns.run(["ip", "link", "add", *veth, "netns", self.wire])
            netns.ip("link", "set", peer, "master", "br0", "up", namespace=self.wire)
            netns.ip("link", "set", "eth0", "up", namespace=name)
            if address:
                netns.ip("addr", "add", address, "dev", "eth0", namespace=name)
        self._macvlans()

    def _macvlans(self) -> None:
        # Each macvlan answers ARP only for its own address, like separate machines.
        for key in ("all.arp_ignore=1", "all.arp_announce=2", "default.arp_ignore=1"):
            argv = ["sysctl", "-qw", f"net.ipv4.conf.{key}"]
            netns.run(netns.in_namespace(self.hosts_ns, argv))
        lines = []
        for n in range(1, self.hosts + 1):
            mac = f"00:1b:21:78:{n // 256:02x}:{n % 256:02x}"
            lines += [
                f"link add m{n} link eth0 address {mac} type macvlan mode bridge",
                f"addr add {self.net}.{n}/24 dev m{n}",
                f"link set m{n} up",
            ]
        with tempfile.NamedTemporaryFile("w", suffix=".ip", delete=False) as batch:
            batch.write("\n".join(lines) + "\n")
        try:
            netns.run(["ip", "-n", self.hosts_ns, "-batch", batch.name])
        finally:
            Path(batch.name).unlink()

    def down(self) -> None:
        for name in (self.collector, self.hosts_ns, self.wire):
            netns.remove(name)
        for process in self.processes:
            process.wait(timeout=10)
