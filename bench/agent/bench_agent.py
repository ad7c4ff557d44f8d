"""Benchmark: one inventory of this host by Muster's agent against FusionInventory's.

Runs ``muster agent run --output FILE`` and ``fusioninventory-inventory``
alternately, several times each, in the same run on the same machine, and
prints the median wall time and peak resident memory of each and their
ratios. Targets: Muster's agent takes at most half FusionInventory's time and
at most 64 MB.

    .venv/bin/python bench/agent/bench_agent.py [--repeat 7]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TIME_RATIO_TARGET = 0.5
RSS_TARGET_MB = 64.0


@dataclass(frozen=True)
class Sample:
    """One run of one tool."""

    seconds: float
    peak_rss_mb: float


def measure(command: list[str]) -> Sample:
    """Run a command to completion; return its wall time and peak RSS (its own and children's)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        stderr = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{command[0]} failed with {process.returncode}: {stderr}")
    if process.stderr:
        process.stderr.close()
    # ru_maxrss is in kilobytes on Linux.
    return Sample(seconds=elapsed, peak_rss_mb=usage.ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of each tool (7)")
    arguments = parser.parse_args()

    muster = Path(sys.executable).with_name("muster")
    fusion = shutil.which("fusioninventory-inventory")
    if fusion is None:
        raise SystemExit(
            "fusioninventory-inventory is not installed: run scripts/setup --test "
            "(Debian package fusioninventory-agent)"
        )
    with tempfile.TemporaryDirectory() as scratch:
        output = str(Path(scratch) / "inventory.json")
        commands = {
            "muster agent": [str(muster), "agent", "run", "--output", output],
            "fusioninventory": [fusion],
        }
        for command in commands.values():
            measure(command)  # warm the page cache for both alike
        samples: dict[str, list[Sample]] = {name: [] for name in commands}
        for _ in range(arguments.repeat):
            for name, command in commands.items():
                samples[name].append(measure(command))
    report(samples, arguments.repeat)


def report(samples: dict[str, list[Sample]], repeat: int) -> None:
    """Print medians, ratios and whether the targets are met."""
    medians = {
        name: Sample(
            seconds=statistics.median(s.seconds for s in runs),
            peak_rss_mb=statistics.median(s.peak_rss_mb for s in runs),
        )
        for name, runs in samples.items()
    }
    print(f"one inventory of this host, median of {repeat} runs each")
    print(f"{'tool':<18}{'time (s)':>10}{'peak RSS (MB)':>16}")
    for name, median in medians.items():
        print(f"{name:<18}{median.seconds:>10.3f}{median.peak_rss_mb:>16.1f}")
    ours, theirs = medians["muster agent"], medians["fusioninventory"]
    time_ratio = ours.seconds / theirs.seconds
    rss_ratio = ours.peak_rss_mb / theirs.peak_rss_mb
    print(f"time ratio muster/fusioninventory: {time_ratio:.2f} (target <= {TIME_RATIO_TARGET})")
    print(f"RSS ratio muster/fusioninventory:  {rss_ratio:.2f}")
    print(f"muster agent peak RSS: {ours.peak_rss_mb:.1f} MB (target <= {RSS_TARGET_MB:.0f} MB)")
    met = time_ratio <= TIME_RATIO_TARGET and ours.peak_rss_mb <= RSS_TARGET_MB
    print("targets met" if met else "targets NOT met")


if __name__ == "__main__":
    main()
