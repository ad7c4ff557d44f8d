"""Benchmark: SNMP inventory of simulated devices, Muster against FusionInventory.

Starts snmpsim on loopback addresses 127.0.2.1 .. 127.0.2.N (one port), each
replaying a recorded walk from tests/fixtures/snmp (a switch, a printer, a
Linux host and a UPS, in turn), then inventories all N devices with
Muster's ``snmp_inventory`` and with ``fusioninventory-netinventory`` (Debian
package fusioninventory-agent-task-network), and prints devices per second
for each and their ratio. Every packet goes to 127.0.0.0/8.

    .venv/bin/python -m bench.snmp_inventory --devices 50 --concurrency 64 --fi-threads 10
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr
from tests.collector.snmp.agents import SNMPSIM, Agent, free_udp_port, wait_until_answering

from muster.collector.snmp import CommunityV2c, SnmpSettings, snmp_inventory

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "snmp"
KINDS = ("hpe-procurve-6120xg", "hp-laserjet-printer", "linux-host", "eaton-ups")
COMMUNITY = "public"


def start_simulators(addresses: list[str], port: int, workdir: Path) -> list[Agent]:
    """One snmpsim per kind of device, each answering on every address of that kind."""
    agents = []
    for number, kind in enumerate(KINDS):
        mine = addresses[number :: len(KINDS)]
        if not mine:
            continue
        data = workdir / kind / "data"
        data.mkdir(parents=True)
        shutil.copyfile(FIXTURES / kind / "walk.snmprec", data / f"{COMMUNITY}.snmprec")
        log = workdir / kind / "snmpsim.log"
        process = subprocess.Popen(
            [
                *SNMPSIM,
                f"--data-dir={data}",
                f"--cache-dir={workdir / kind / 'cache'}",
                *(f"--agent-udpv4-endpoint={address}:{port}" for address in mine),
            ],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"},
        )
        agents.append(Agent(mine[0], port, process, log))
    for agent in agents:
        wait_until_answering(agent, COMMUNITY, seconds=60)
    return agents


async def run_muster(addresses: list[str], port: int, concurrency: int) -> tuple[float, int]:
    """Inventory every address with Muster; return seconds taken and devices inventoried."""
    settings = SnmpSettings(port=port, concurrency=concurrency, timeout=2.0, retries=1)
    credential = CommunityV2c(name="bench", community=SecretStr(COMMUNITY))
    started = time.perf_counter()
    done = 0
    async for result in snmp_inventory(addresses, [credential], settings=settings):
        done += result.error is None
    return time.perf_counter() - started, done


def run_fusioninventory(addresses: list[str], port: int, threads: int) -> tuple[float, int]:
    """Inventory every address with fusioninventory-netinventory; seconds and devices."""
    command = ["fusioninventory-netinventory", "--community", COMMUNITY, "--timeout", "2"]
    command += ["--threads", str(threads)]
    for address in addresses:
        command += ["--host", address, "--port", str(port)]
    started = time.perf_counter()
    output = subprocess.run(command, capture_output=True, check=True, text=True).stdout
    return time.perf_counter() - started, output.count("<DEVICE>")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--fi-threads", type=int, default=10)
    options = parser.parse_args()
    if shutil.which("fusioninventory-netinventory") is None:
        sys.exit(
            "fusioninventory-netinventory is missing: apt-get install "
            "fusioninventory-agent-task-network"
        )
    addresses = [f"127.0.2.{n}" for n in range(1, options.devices + 1)]
    port = free_udp_port(*addresses)
    with tempfile.TemporaryDirectory() as scratch:
        agents = start_simulators(addresses, port, Path(scratch))
        try:
            # One warm-up pass so that neither tool pays for the simulators' first answers.
            asyncio.run(run_muster(addresses, port, options.concurrency))
            muster_seconds, muster_done = asyncio.run(
                run_muster(addresses, port, options.concurrency)
            )
            fi_seconds, fi_done = run_fusioninventory(addresses, port, options.fi_threads)
        finally:
            for agent in agents:
                agent.stop()
    muster_rate = muster_done / muster_seconds
    fi_rate = fi_done / fi_seconds
    print(f"devices: {options.devices} simulated ({', '.join(KINDS)})")
    print(
        f"muster:          {muster_done} inventoried in {muster_seconds:.2f} s = "
        f"{muster_rate:.1f} devices/s (concurrency {options.concurrency})"
    )
    print(
        f"fusioninventory: {fi_done} inventoried in {fi_seconds:.2f} s = "
        f"{fi_rate:.1f} devices/s (threads {options.fi_threads})"
    )
    print(f"ratio muster/fusioninventory: {muster_rate / fi_rate:.1f}x (target: at least 5x)")


if __name__ == "__main__":
    main()
