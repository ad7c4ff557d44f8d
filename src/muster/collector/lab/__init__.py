"""A lab district in Linux network namespaces, for the tests, the demo and the benchmark.

The lab's core namespace holds one bridge per school and routes between
them; it has no route anywhere else, and no interface of the lab is in the
machine's own namespace, so nothing sent in the lab can leave it. Each device
is a namespace of its own wired to its school's bridge, running what it is
(the core itself is a Linux router answering SNMP with the real ``snmpd``,
so a sweep reads the hosts behind it from its ARP cache):
the real net-snmp ``snmpd``, snmpsim replaying a recorded walk, plain TCP
listeners, or nothing at all (a host that answers only ping, one that
answers only ARP). The collector namespace sits on the first school's
segment, with the core as its gateway: sweeps run there (``ip netns exec``),
never in the machine's own namespace.

Every namespace is named ``mstr-<tag>-...``; ``down`` removes them (and
kills what runs in them) even after a failure, and ``up`` first removes
namespaces left by a crashed run.
"""

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from muster.cmdb.errors import ConfigurationError
from muster.collector.lab import netns
from muster.collector.lab.district import DEVICES, LAB_NET, SCHOOLS, Device, School, address
from muster.collector.lab.walks import install_walk

logger = logging.getLogger(__name__)

COLLECTOR_HOST = 250
READY_TIMEOUT_S = 60.0


class LabUnavailableError(ConfigurationError):
    """The lab cannot be built here (not root, no iproute2, ...)."""


class Lab:
    """The demo district, built in namespaces tagged ``tag``."""

    def __init__(
        self,
        tag: str | None = None,
        *,
        schools: Sequence[School] = SCHOOLS,
        devices: Sequence[Device] = DEVICES,
    ) -> None:
        self.tag = tag or str(os.getpid())
        self.schools = list(schools)
        self.devices = list(devices)
        self.workdir: Path | None = None
        self._processes: list[subprocess.Popen[bytes]] = []

    def ns(self, short: str) -> str:
        """Return the full name of one of this lab's namespaces."""
        return f"{netns.PREFIX}{self.tag}-{short}"

    @property
    def core(self) -> str:
        return self.ns("core")

    @property
    def collector(self) -> str:
        return self.ns("collector")

    @property
    def collector_address(self) -> str:
        return f"{LAB_NET}.{self.schools[0].index}.{COLLECTOR_HOST}"

    def environment(self) -> dict[str, str]:
        """Environment for Muster run in the lab: the safety net and the communities."""
        from muster.collector.lab.district import community_env

        env = {
            "MUSTER_SAFETY_NET": f"127.0.0.0/8,{LAB_NET}.0.0/16",
            "MUSTER_SAFETY_NETNS": netns.PREFIX,
        }
        env.update({community_env(s): s.community for s in self.schools})
        return env

    def in_collector(self, argv: Sequence[str]) -> list[str]:
        """Return argv that runs a command in the collector namespace."""
        return netns.in_namespace(self.collector, argv)

    # -- building ------------------------------------------------------------

    def up(self) -> "Lab":
        """Build the lab and wait until every device answers; tear down on failure."""
        if missing := netns.lab_prerequisites():
            raise LabUnavailableError("the lab needs " + " and ".join(missing))
        netns.remove_stale()
        self._remove_namespaces()
        self.workdir = self._fresh_workdir()
        # snmpsim drops to nobody, which must read the walks it serves.
        self.workdir.chmod(0o755)
        try:
            self._wire()
            self._start_router()
            for device in self.devices:
                self._start(device)
            self._wait_ready()
        except BaseException:
            self.down()
            raise
        logger.info("lab %s is up: %d devices", self.tag, len(self.devices))
        return self

    def _fresh_workdir(self) -> Path:
        if self.tag.isdigit():
            return Path(tempfile.mkdtemp(prefix="muster-lab-"))
        # A named lab outlives the command that built it: `down` must find its files.
        folder = Path(tempfile.gettempdir()) / f"muster-lab-{self.tag}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        return folder

    def down(self) -> None:
        """Stop every process of the lab and remove its namespaces and files."""
        self._remove_namespaces()
        for process in self._processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        self._processes.clear()
        if self.workdir is None and not self.tag.isdigit():
            self.workdir = Path(tempfile.gettempdir()) / f"muster-lab-{self.tag}"
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> "Lab":
        return self.up()

    def __exit__(self, *_exc: object) -> None:
        self.down()

    def _remove_namespaces(self) -> None:
        mine = f"{netns.PREFIX}{self.tag}-"
        for name in netns.namespaces():
            if name.startswith(mine):
                netns.remove(name)

    def _wire(self) -> None:
        netns.add(self.core)
        netns.run(["ip", "netns", "exec", self.core, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        for s in self.schools:
            bridge = f"br{s.index}"
            netns.ip("link", "add", bridge, "type", "bridge", namespace=self.core)
            netns.ip("addr", "add", f"{s.gateway}/24", "dev", bridge, namespace=self.core)
            netns.ip("link", "set", bridge, "up", namespace=self.core)
        first = self.schools[0]
        self._attach(self.collector, first, COLLECTOR_HOST, mac=None)
        for device in self.devices:
            school = next(s for s in self.schools if s.code == device.school)
            self._attach(self.ns(device.name), school, device.host, mac=device.mac)
            if device.role == "arp-only":
                self._answer_only_arp(device, school)
            elif device.role == "ping-only":
                self._answer_only_ping(device)

    def _answer_only_arp(self, device: Device, school: School) -> None:
        """Leave the host its address but no route: ARP replies go out, nothing else can."""
        namespace = self.ns(device.name)
        cidr = f"{address(device)}/{school.subnet.split('/')[1]}"
        netns.ip("route", "del", "default", namespace=namespace)
        netns.ip("addr", "del", cidr, "dev", "eth0", namespace=namespace)
        netns.ip("addr", "add", f"{address(device)}/32", "dev", "eth0", namespace=namespace)

    def _answer_only_ping(self, device: Device) -> None:
        """Give TCP and UDP replies no route out: echo replies go, resets and errors do not."""
        namespace = self.ns(device.name)
        for protocol in ("tcp", "udp"):
            netns.ip(
                "rule",
                "add",
                "priority",
                "100",
                "ipproto",
                protocol,
                "prohibit",
                namespace=namespace,
            )

    def _attach(self, namespace: str, school: School, host: int, *, mac: str | None) -> None:
        """Create a namespace wired by a veth pair to a school's bridge."""
        netns.add(namespace)
        peer = f"p{school.index}-{host}"
        veth = ["eth0", "netns", namespace, "type", "veth", "peer", "name", peer]
        netns.run(["ip", "link", "add", *veth, "netns", self.core])
        netns.ip("link", "set", peer, "master", f"br{school.index}", "up", namespace=self.core)
        if mac is not None:
            netns.ip("link", "set", "eth0", "address", mac, namespace=namespace)
        cidr = f"{LAB_NET}.{school.index}.{host}/24"
        netns.ip("addr", "add", cidr, "dev", "eth0", namespace=namespace)
        netns.ip("link", "set", "eth0", "up", namespace=namespace)
        netns.ip("route", "add", "default", "via", school.gateway, namespace=namespace)

    # -- what runs on the devices ----------------------------------------------

    def _spawn(self, device: Device, argv: list[str], env: dict[str, str] | None = None) -> None:
        assert self.workdir is not None
        log = (self.workdir / f"{device.name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 -- argv built here from the lab's own data
            netns.in_namespace(self.ns(device.name), argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        log.close()
        self._processes.append(process)

    def _start(self, device: Device) -> None:
        school = next(s for s in self.schools if s.code == device.school)
        if device.role == "snmpd":
            self._start_snmpd(device, school)
        elif device.role == "snmpsim":
            self._start_snmpsim(device, school)
        if device.ports:
            listen = [sys.executable, "-m", "muster.collector.lab.listen", address(device)]
            self._spawn(device, listen + [str(port) for port in device.ports])

    def _start_snmpd(self, device: Device, school: School) -> None:
        lines = [
            f"agentAddress udp:{address(device)}:161",
            f"rocommunity {school.community} {LAB_NET}.0.0/16",
            f"sysName {device.name}",
            f"sysLocation {device.sys_location or school.name}",
            "sysServices 72",
        ]
        if device.sys_descr:
            lines.append(f"sysDescr {device.sys_descr}")
        if device.sys_object_id:
            lines.append(f"sysObjectID {device.sys_object_id}")
        self._spawn(device, self._snmpd_argv(device.name, lines), self._snmpd_env(device.name))

    def _start_router(self) -> None:
        """Run snmpd on the core, answering each school's community on its gateway."""
        lines = [
            "agentAddress " + ",".join(f"udp:{s.gateway}:161" for s in self.schools),
            *(f"rocommunity {s.community} {LAB_NET}.0.0/16" for s in self.schools),
            "sysName core-router",
            "sysLocation District office",
            "sysServices 78",
        ]
        process = subprocess.Popen(  # noqa: S603 -- argv built here from the lab's own data
            netns.in_namespace(self.core, self._snmpd_argv("core", lines)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **self._snmpd_env("core")},
            start_new_session=True,
        )
        self._processes.append(process)

    def _snmpd_argv(self, name: str, lines: list[str]) -> list[str]:
        assert self.workdir is not None
        folder = self.workdir / name
        folder.mkdir()
        config = folder / "snmpd.conf"
        config.write_text("\n".join([*lines, "sysContact it@district.example"]) + "\n")
        return ["snmpd", "-f", "-Lo", "-C", "-c", str(config), "-p", str(folder / "pid")]

    def _snmpd_env(self, name: str) -> dict[str, str]:
        assert self.workdir is not None
        return {"SNMP_PERSISTENT_DIR": str(self.workdir / name)}

    def _start_snmpsim(self, device: Device, school: School) -> None:
        assert self.workdir is not None
        assert device.walk is not None
        folder = self.workdir / device.name
        data, cache = folder / "data", folder / "cache"
        fdb = self._fdb(device) if device.bridge_ports else None
        install_walk(device.walk, data, school.community, fdb=fdb)
        cache.mkdir(parents=True)
        for path in (folder, data, data / f"{school.community}.snmprec"):
            path.chmod(0o755)
        shutil.chown(cache, "nobody", "nogroup")
        argv = [
            "snmpsimd",
            f"--data-dir={data}",
            f"--cache-dir={cache}",
            f"--agent-udpv4-endpoint={address(device)}:161",
            "--process-user=nobody",
            "--process-group=nogroup",
            "--logging-method=null",
        ]
        self._spawn(device, argv)

    def _fdb(self, switch: Device) -> dict[str, int]:
        by_name = {d.name: d for d in self.devices}
        return {by_name[name].mac: port for name, port in switch.bridge_ports.items()}

    def _wait_ready(self) -> None:
        """Wait until the router and every device listen where they should."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        expected = [(self.core, "core", {"udp:161"})]
        for device in self.devices:
            wanted = {f"tcp:{port}" for port in device.ports}
            if device.role in ("snmpd", "snmpsim"):
                wanted.add("udp:161")
            expected.append((self.ns(device.name), device.name, wanted))
        for namespace, name, wanted in expected:
            while missing := wanted - self._listening(namespace):
                if time.monotonic() > deadline:
                    raise ConfigurationError(
                        f"lab device {name} is not listening on {', '.join(sorted(missing))}: "
                        f"see {self.workdir}/{name}.log"
                    )
                time.sleep(0.1)

    def _listening(self, namespace: str) -> set[str]:
        out = netns.run(netns.in_namespace(namespace, ["ss", "-Hlntu"]), check=False)
        bound = set()
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 5:
                bound.add(f"{fields[0]}:{fields[4].rsplit(':', 1)[-1]}")
        return bound
