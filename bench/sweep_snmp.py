"""The benchmark's SNMP half: Muster's SNMP inventory against fusioninventory-netinventory.

DEVICES simulated devices (snmpsim replaying recorded walks of switches,
UPSs, access points and hosts; one address and MAC each, several devices
per snmpsim process) sit on a lab segment; from its collector namespace
each tool inventories all of them with the same community: Muster as
``muster sweep --techniques snmp`` (devices a second from its sweep record,
and from the whole command), FusionInventory's ``fusioninventory-netinventory``
with every device on one command line and THREADS threads. The target is
Muster at five times FusionInventory's devices a second or better.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bench.segment import Segment
from muster.cmdb.db import Database
from muster.cmdb.models import Observation, Sweep
from muster.collector.lab import netns
from muster.collector.lab.walks import install_walk

NET = "10.79.0"
COMMUNITY = "bench"
THREADS = 10
DEVICES_PER_PROCESS = 4
WALKS = (
    "debian:cisco_16_switch",
    "debian:hp_perf",
    "pypi:UPS/eaton-93e-80",
    "pypi:UPS/apc-8932",
    "pypi:network/wifi/ubiquiti-m5",
    "pypi:os/linux/slackware",
)


def start_devices(segment: Segment, workdir: Path) -> None:
    """Run snmpsim in the hosts' namespace, DEVICES_PER_PROCESS addresses per process."""
    workdir.chmod(0o755)
    addresses = [f"{NET}.{n}" for n in range(1, segment.hosts + 1)]
    for number, start in enumerate(range(0, len(addresses), DEVICES_PER_PROCESS)):
        walk = WALKS[number % len(WALKS)]
        folder = workdir / f"agent{number}"
        data, cache = folder / "data", folder / "cache"
        install_walk(walk, data, COMMUNITY)
        cache.mkdir(parents=True)
        for path in (folder, data, data / f"{COMMUNITY}.snmprec"):
            path.chmod(0o755)
        shutil.chown(cache, "nobody", "nogroup")
        endpoints = [
            f"--agent-udpv4-endpoint={a}:161"
            for a in addresses[start : start + DEVICES_PER_PROCESS]
        ]
        argv = ["snmpsimd", f"--data-dir={data}", f"--cache-dir={cache}", *endpoints]
        argv += ["--process-user=nobody", "--process-group=nogroup", "--logging-method=null"]
        segment.processes.append(
            subprocess.Popen(
                netns.in_namespace(segment.hosts_ns, argv),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = netns.run(netns.in_namespace(segment.hosts_ns, ["ss", "-Hlnu"]), check=False)
        if out.count(":161") >= len(addresses):
            return
        time.sleep(0.2)
    raise RuntimeError("the simulated SNMP devices did not all start")


def run_muster(segment: Segment, workdir: Path, round_: int) -> tuple[float, float, int]:
    """Inventory every device with Muster; return command time, sweep time, devices found."""
    config = workdir / "snmp.toml"
    config.write_text(
        f'[[site]]\ncode = "benchsnmp"\nsubnets = ["{NET}.0/24"]\nrate_limit = 10000\n'
        'techniques = ["snmp"]\n[[site.snmp]]\nversion = "2c"\ncommunity_env = "BENCH_RO"\n'
    )
    env = {
        **os.environ,
        "BENCH_RO": COMMUNITY,
        "MUSTER_DATABASE_URL": f"sqlite:///{workdir / f'snmp-{round_}.db'}",
        "MUSTER_DATA_DIR": str(workdir / f"data-{round_}"),
        "MUSTER_SAFETY_NET": f"{NET}.0/24",
        "MUSTER_SAFETY_NETNS": netns.PREFIX,
    }
    muster = str(Path(sys.executable).with_name("muster"))
    subprocess.run(
        [muster, "site", "apply", "--config", str(config)],
        env=env,
        check=True,
        capture_output=True,
    )
    targets = [arg for n in range(1, segment.hosts + 1) for arg in ("--target", f"{NET}.{n}")]
    argv = [muster, "sweep", "--site", "benchsnmp", *targets, "--format", "json"]
    start = time.monotonic()
    subprocess.run(
        netns.in_namespace(segment.collector, argv), env=env, check=True, capture_output=True
    )
    seconds = time.monotonic() - start
    database = Database(env["MUSTER_DATABASE_URL"])
    with database.session() as session:
        sweep = session.scalars(select(Sweep)).one()
        assert sweep.finished_at is not None
        swept = (sweep.finished_at - sweep.started_at).total_seconds()
        payloads = session.scalars(select(Observation.payload).where(Observation.source == "snmp"))
        # A device's own Observation carries its sysDescr; located hosts do not.
        devices = sum(1 for p in payloads if p.get("attributes", {}).get("description"))
    database.dispose()
    return seconds, swept, devices


def run_fusioninventory(segment: Segment) -> tuple[float, int]:
    """Inventory every device with fusioninventory-netinventory; return time, devices found."""
    hosts = [arg for n in range(1, segment.hosts + 1) for arg in ("--host", f"{NET}.{n}")]
    argv = ["fusioninventory-netinventory", *hosts, "--threads", str(THREADS)]
    argv += ["--credentials", f"version:2c,community:{COMMUNITY}", "--timeout", "2"]
    start = time.monotonic()
    done = subprocess.run(
        netns.in_namespace(segment.collector, argv), capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - start
    return seconds, len(re.findall(r"<DEVICE>", done.stdout))


def scratch() -> Path:
    """A folder snmpsim (dropped to nobody) can read."""
    return Path(tempfile.mkdtemp(prefix="muster-bench-snmp-", dir="/tmp"))
