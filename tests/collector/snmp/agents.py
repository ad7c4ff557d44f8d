"""Real SNMP agents on loopback addresses for the tests: snmpsim replaying recorded
walks, and net-snmp's snmpd answering for this very machine.

Every agent listens on 127.0.0.0/8 only, on a port picked free at start.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from muster.collector.snmp.credentials import CommunityV2c, SnmpSettings
from muster.collector.snmp.transport import SnmpClient

# snmpsim answers from recorded data by OID and never needs MIB names; without this
# its pysnmp builds a MIB compiler on the first request (pysmi is installed), seconds
# of start-up per simulator.
SNMPSIM = [
    sys.executable,
    "-c",
    "import sys, pysnmp.smi.rfc1902 as r; r.add_mib_compiler = lambda *a, **k: None; "
    "from snmpsim.commands.responder import main; sys.argv[0] = 'snmpsim'; sys.exit(main())",
]


@dataclass
class Agent:
    """A running agent: where it listens and its process."""

    address: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Stop the agent and wait for it to go."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def free_udp_port(*addresses: str) -> int:
    """Return a UDP port nothing listens on at any of the loopback addresses given."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((addresses[0], 0))
            port: int = probe.getsockname()[1]
        if all(_is_free(address, port) for address in addresses[1:]):
            return port
    raise RuntimeError(f"no UDP port free on all of {addresses!r}")


def _is_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, port))
        except OSError:
            return False
        return True


def start_snmpsim(address: str, port: int, walks: dict[str, Path], workdir: Path) -> Agent:
    """Start snmpsim at ``address`` answering each community with a copy of its walk."""
    data = workdir / "data"
    data.mkdir(parents=True)
    for community, walk in walks.items():
        # Copies, not links: snmpsim indexes its data files in place.
        shutil.copyfile(walk, data / f"{community}.snmprec")
    log = workdir / "snmpsim.log"
    process = subprocess.Popen(
        [
            *SNMPSIM,
            f"--data-dir={data}",
            f"--cache-dir={workdir / 'cache'}",
            f"--agent-udpv4-endpoint={address}:{port}",
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"},
    )
    return Agent(address, port, process, log)


def start_snmpd(address: str, port: int, workdir: Path, config: str) -> Agent:
    """Start net-snmp's snmpd at ``address`` with a configuration of the test's own."""
    conf = workdir / "snmpd.conf"
    conf.write_text(f"agentAddress udp:{address}:{port}\n{config}")
    log = workdir / "snmpd.log"
    snmpd = shutil.which("snmpd") or "/usr/sbin/snmpd"
    process = subprocess.Popen(
        [snmpd, "-f", "-C", "-c", str(conf), "-Lf", str(log), "-p", str(workdir / "pid")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env={**os.environ, "SNMP_PERSISTENT_DIR": str(workdir / "persist"), "MIBS": ""},
    )
    return Agent(address, port, process, log)


def wait_until_answering(agent: Agent, community: str, *, seconds: float = 20.0) -> None:
    """Block until the agent answers a GET with ``community``, or fail naming its log."""
    deadline = time.monotonic() + seconds
    credential = CommunityV2c(name="readiness", community=SecretStr(community))
    while time.monotonic() < deadline:
        if agent.process.poll() is not None:
            break
        if asyncio.run(_answers(agent, credential)):
            return
    agent.stop()
    raise RuntimeError(
        f"SNMP agent at {agent.address}:{agent.port} did not come up; its log says:\n"
        + agent.log.read_text(errors="replace")[-2000:]
    )


async def _answers(agent: Agent, credential: CommunityV2c) -> bool:
    client = SnmpClient(SnmpSettings(port=agent.port))
    try:
        session = await client.session(agent.address, credential, timeout=0.3, retries=0)
        found = await session.get([(1, 3, 6, 1, 2, 1, 1, 2, 0)])
        return bool(found)
    except Exception:  # not up yet, in whatever way pysnmp says it
        return False
    finally:
        client.close()
