"""The scope guard, checked on the wire: a sweep told to probe out-of-scope and public
addresses sends them nothing, while it does probe the addresses in scope.

tcpdump captures everything the collector namespace sends while a sweep of
Lincoln Elementary runs with every technique that sends packets of its own
(ARP, ICMP, TCP connect, nmap SYN). The process-wide address net is opened
to all of IPv4 for this run, so only the site's scope stands between the
sweep and the public addresses; the lab has no route out, so even a packet
that escaped the guard would die in the lab's core.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

from muster.collector.lab import Lab
from muster.collector.lab.district import config_toml
from tests.collector.conftest import MUSTER

IN_SCOPE = ["10.77.1.10", "10.77.1.20"]
OUT_OF_SCOPE = {
    "10.77.1.50": "excluded from site 'lincoln-es'",
    "10.77.2.10": "outside the subnets of site 'lincoln-es'",
    "9.9.9.9": "outside the subnets of site 'lincoln-es'",
    "1.1.1.1": "outside the subnets of site 'lincoln-es'",
}


def capture(lab: Lab, pcap: Path) -> subprocess.Popen[str]:
    """Start tcpdump on every interface of the collector namespace; wait until it listens.

    Immediate mode hands each packet to tcpdump as it arrives; without it the
    kernel holds packets in a ring-buffer block for up to a second, and those
    still held when tcpdump is stopped are never written. Headers are enough
    (snap length 256) and the buffer is large, so a burst of probes fills no
    ring: the test asserts the kernel dropped nothing.
    """
    argv = ["tcpdump", "-i", "any", "-nn", "--immediate-mode", "-U", "-s", "256", "-B", "16384"]
    argv += ["-w", str(pcap)]
    process = subprocess.Popen(
        lab.in_collector(argv),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen = [process.stderr.readline() for _ in range(2)]
    assert any("listening on" in line for line in seen), seen
    return process


def packets(pcap: Path, expression: str) -> list[str]:
    """Return the captured packets that match a filter expression."""
    out = subprocess.run(
        ["tcpdump", "-nn", "-r", str(pcap), expression],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.splitlines()


def test_sweep_sends_nothing_to_out_of_scope_or_public_targets(lab: Lab, tmp_path: Path) -> None:
    config = tmp_path / "muster.toml"
    config.write_text(config_toml())
    env = {
        **os.environ,
        **lab.environment(),
        "MUSTER_SAFETY_NET": "0.0.0.0/0",
        "MUSTER_DATABASE_URL": f"sqlite:///{tmp_path / 'muster.db'}",
    }
    targets = [arg for address in [*IN_SCOPE, *OUT_OF_SCOPE] for arg in ("--target", address)]
    argv = [MUSTER, "sweep", "--site", "lincoln-es", "--config", str(config), *targets]
    argv += ["--techniques", "arp,icmp,tcp,syn", "--format", "json"]
    pcap = tmp_path / "sweep.pcap"
    tcpdump = capture(lab, pcap)

    try:
        done = subprocess.run(
            lab.in_collector(argv), env=env, capture_output=True, text=True, timeout=120
        )
        time.sleep(0.5)
    finally:
        tcpdump.send_signal(signal.SIGINT)
        _, summary = tcpdump.communicate(timeout=10)

    assert done.returncode == 0, done.stderr
    assert "0 packets dropped by kernel" in summary, summary
    out_of_scope = " or ".join(f"host {address}" for address in OUT_OF_SCOPE)
    assert packets(pcap, out_of_scope) == []
    for address in IN_SCOPE:
        assert len(packets(pcap, f"dst host {address}")) >= 2, address
    for address, reason in OUT_OF_SCOPE.items():
        assert f"refused {address}: {reason}" in done.stdout
