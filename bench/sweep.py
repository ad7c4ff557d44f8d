"""Benchmark: Muster's liveness sweep against `nmap -sn` and `arp-scan`, in the same run.

Builds a lab /24 of HOSTS live hosts (one namespace, one macvlan per host,
each with its own MAC and address) on a bridge shared with a collector
namespace, then times, from the collector namespace, the whole command of
each tool finding the live hosts of the /24: ``muster sweep`` (ARP, with
the site's rate limit raised to RATE packets per second), ``nmap -sn -n``
and ``arp-scan``. Each is run ROUNDS times; the median wall time counts.
Prints hosts found, times and the ratios; the target is Muster in at most
half of nmap's time. Run as root: ``bench/sweep [--hosts 220] [--rounds 3]``
(``--skip-liveness`` or ``--skip-snmp`` runs one half only).

Then the SNMP half (``sweep_snmp``): the SNMP inventory of simulated devices
through ``muster sweep``, against fusioninventory-netinventory
(``bench/snmp_inventory.py`` compares the inventory alone, in process).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from sqlalchemy import select

from bench.segment import NET, Segment
from muster.cmdb.db import Database
from muster.cmdb.models import Sweep
from muster.collector.lab import netns

SUBNET = f"{NET}.0/24"
RATE = 10000
# How long each Muster sweep took by its own record: from start to the last write.
SWEEP_SECONDS: list[float] = []


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    return time.monotonic() - start, done.stdout


def run_muster(segment: Segment, workdir: Path, round_: int) -> tuple[float, int]:
    config = workdir / "bench.toml"
    config.write_text(
        f'[[site]]\ncode = "bench"\nsubnets = ["{SUBNET}"]\nrate_limit = {RATE}\n'
        'techniques = ["arp"]\n'
    )
    env = {
        **os.environ,
        "MUSTER_DATABASE_URL": f"sqlite:///{workdir / f'bench-{round_}.db'}",
        "MUSTER_SAFETY_NET": f"{SUBNET}",
        "MUSTER_SAFETY_NETNS": netns.PREFIX,
    }
    muster = str(Path(sys.executable).with_name("muster"))
    subprocess.run(
        [muster, "site", "apply", "--config", str(config)],
        env=env,
        check=True,
        capture_output=True,
    )
    argv = [muster, "sweep", "--site", "bench", "--format", "json"]
    seconds, out = timed(netns.in_namespace(segment.collector, argv), env)
    database = Database(env["MUSTER_DATABASE_URL"])
    with database.session() as session:
        sweep = session.scalars(select(Sweep)).one()
        assert sweep.finished_at is not None
        SWEEP_SECONDS.append((sweep.finished_at - sweep.started_at).total_seconds())
    database.dispose()
    return seconds, int(json.loads(out)[0]["alive"])


def measure_liveness() -> None:
    """Inside the collector namespace: time Muster's liveness technique alone (no CMDB)."""
    import asyncio

    from muster.collector.ratelimit import RateLimiter
    from muster.collector.scope import Scope
    from muster.collector.techniques.arp import arp_sweep
    from muster.collector.techniques.base import ProbeContext

    scope = Scope("bench", (SUBNET,))
    targets = list(scope.hosts())

    async def sweep() -> int:
        context = ProbeContext(scope=scope, limiter=RateLimiter(RATE))
        return len([o async for o in arp_sweep(targets, context)])

    start = time.monotonic()
    alive = asyncio.run(sweep())
    print(json.dumps({"seconds": time.monotonic() - start, "alive": alive}))


def run_liveness(segment: Segment) -> tuple[float, int]:
    env = {**os.environ, "MUSTER_SAFETY_NET": SUBNET, "MUSTER_SAFETY_NETNS": netns.PREFIX}
    argv = [sys.executable, "-m", "bench.sweep", "--measure-liveness"]
    _seconds, out = timed(netns.in_namespace(segment.collector, argv), env)
    result = json.loads(out)
    return float(result["seconds"]), int(result["alive"])


def run_nmap(segment: Segment) -> tuple[float, int]:
    seconds, out = timed(netns.in_namespace(segment.collector, ["nmap", "-sn", "-n", SUBNET]))
    return seconds, sum(1 for line in out.splitlines() if line.startswith("Nmap scan report"))


def run_arp_scan(segment: Segment) -> tuple[float, int]:
    argv = ["arp-scan", "-q", "-x", "-I", "eth0", SUBNET]
    seconds, out = timed(netns.in_namespace(segment.collector, argv))
    return seconds, len([line for line in out.splitlines() if line.startswith(NET)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=220)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--snmp-devices", type=int, default=60)
    parser.add_argument("--snmp-rounds", type=int, default=1)
    parser.add_argument("--skip-liveness", action="store_true")
    parser.add_argument("--skip-snmp", action="store_true")
    parser.add_argument("--measure-liveness", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.measure_liveness:
        measure_liveness()
        return
    if missing := netns.lab_prerequisites():
        sys.exit("bench/sweep needs " + " and ".join(missing))
    if options.snmp_devices < 1:
        parser.error("--snmp-devices must be at least 1 (or give --skip-snmp)")
    if not options.skip_liveness:
        liveness_half(options.hosts, options.rounds)
    if not options.skip_snmp:
        snmp_half(options.snmp_devices, options.snmp_rounds)


def liveness_half(hosts: int, rounds: int) -> None:
    """Run and report the liveness half."""
    segment = Segment(hosts)
    times: dict[str, list[float]] = {
        "muster": [],
        "liveness": [],
        "nmap -sn": [],
        "arp-scan": [],
    }
    found: dict[str, set[int]] = {name: set() for name in times}
    with tempfile.TemporaryDirectory(prefix="muster-bench-") as scratch:
        try:
            segment.up()
            for round_ in range(rounds):
                runs = {
                    "muster": partial(run_muster, segment, Path(scratch), round_),
                    "liveness": partial(run_liveness, segment),
                    "nmap -sn": partial(run_nmap, segment),
                    "arp-scan": partial(run_arp_scan, segment),
                }
                for name, run in runs.items():
                    seconds, hosts = run()
                    times[name].append(seconds)
                    found[name].add(hosts)
        finally:
            segment.down()
    report(hosts, times, found)


def snmp_half(devices: int, rounds: int) -> None:
    """Run and report the SNMP half."""
    from bench import sweep_snmp as half

    segment = Segment(devices, net=half.NET, name="s")
    muster, swept, fusion = [], [], []
    found: dict[str, set[int]] = {"muster": set(), "fusioninventory": set()}
    workdir = half.scratch()
    try:
        segment.up()
        half.start_devices(segment, workdir)
        for round_ in range(rounds):
            seconds, sweep_seconds, count = half.run_muster(segment, workdir, round_)
            muster.append(seconds)
            swept.append(sweep_seconds)
            found["muster"].add(count)
            seconds, count = half.run_fusioninventory(segment)
            fusion.append(seconds)
            found["fusioninventory"].add(count)
    finally:
        segment.down()
        shutil.rmtree(workdir, ignore_errors=True)
    report_snmp(devices, rounds, {"muster": muster, "swept": swept, "fusion": fusion}, found)


def report(hosts: int, times: dict[str, list[float]], found: dict[str, set[int]]) -> None:
    median = {name: statistics.median(values) for name, values in times.items()}
    sweep = statistics.median(SWEEP_SECONDS)
    nmap, arp_scan = median["nmap -sn"], median["arp-scan"]
    print(f"liveness sweep of a /24 with {hosts} live hosts (median of {len(times['muster'])})")
    rows = (
        ("muster sweep, whole command", median["muster"], found["muster"]),
        ("muster sweep, its record (ARP + CMDB writes)", sweep, found["muster"]),
        ("muster liveness technique alone (ARP)", median["liveness"], found["liveness"]),
        ("nmap -sn -n, whole command", nmap, found["nmap -sn"]),
        ("arp-scan, whole command", arp_scan, found["arp-scan"]),
    )
    for name, seconds, counts in rows:
        shown = "/".join(str(n) for n in sorted(counts))
        print(f"  {name:<46} {seconds:6.2f} s  found {shown}")
    print("ratios to nmap -sn (target for the liveness sweep: <= 0.50)")
    for name, seconds, _counts in rows[:3]:
        print(f"  {name:<46} {seconds / nmap:6.2f}   (to arp-scan {seconds / arp_scan:.2f})")


def report_snmp(
    devices: int, rounds: int, times: dict[str, list[float]], found: dict[str, set[int]]
) -> None:
    from bench import sweep_snmp as half

    rates = {
        "muster sweep, whole command": devices / statistics.median(times["muster"]),
        "muster sweep, its record": devices / statistics.median(times["swept"]),
        f"fusioninventory-netinventory, {half.THREADS} threads": devices
        / statistics.median(times["fusion"]),
    }
    print(f"SNMP inventory of {devices} simulated devices (median of {rounds})")
    for name, rate in rates.items():
        print(f"  {name:<46} {rate:7.1f} devices/s")
    print(
        f"  devices inventoried: muster {sorted(found['muster'])}, "
        f"fusioninventory {sorted(found['fusioninventory'])}"
    )
    fusion_rate = list(rates.values())[-1]
    print("ratios to fusioninventory-netinventory (target >= 5)")
    for name, rate in list(rates.items())[:2]:
        print(f"  {name:<46} {rate / fusion_rate:7.2f}")


if __name__ == "__main__":
    main()
