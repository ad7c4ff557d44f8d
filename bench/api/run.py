"""Benchmark: asset look-ups by serial and by MAC under load, against an empty FastAPI endpoint.

Loads N synthetic assets (default 100,000) into a fresh CMDB through ingest
(SQLite, or with ``--backend postgresql`` a private PostgreSQL cluster with
the server's default settings), serves the API with uvicorn (the empty
endpoint is a route of the same app, so ``--workers`` applies to both), and
drives it with wrk from a second process: after a warm-up, rounds of the
empty endpoint, look-ups by serial and look-ups by MAC, each for the same
duration and concurrency. Interleaved rounds expose each endpoint to the
same drift in the machine's other load. Prints, per endpoint, the median
over rounds of requests/s and of p50 and p99 latency, and the median of each
round's requests/s as a share of the empty endpoint's in that round.
Targets: >= 50 % of the empty endpoint's requests/s, p99 < 25 ms.

    scripts/setup --bench && .venv/bin/python -m bench.api.run [--assets N] [--duration S]
    .venv/bin/python -m bench.api.run --backend postgresql
"""

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bench.pgcluster import private_cluster
from muster.cmdb.db import Database
from muster.cmdb.ingest import ingest
from muster.cmdb.observation import Observation, parse_observation
from muster.cmdb.sites import upsert_site
from muster.cmdb.tokens import Scope, create_token

HERE = Path(__file__).parent
console = Console()
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
EMPTY = "empty FastAPI endpoint"


def mac_of(number: int) -> str:
    """The MAC of workstation number ``number``: an Intel OUI and the number."""
    return f"00:1b:21:{number >> 16 & 255:02x}:{number >> 8 & 255:02x}:{number & 255:02x}"


def synthetic(number: int) -> Observation:
    """An agent's Observation of workstation number ``number`` at one of 40 schools."""
    school = number % 40
    return parse_observation(
        {
            "schema": "muster.observation/1",
            "source": "agent",
            "observed_at": (T0 + timedelta(seconds=number)).isoformat(),
            "site": f"school-{school:02d}",
            "identifiers": {
                "serial": f"SN{number:08d}",
                "macs": [mac_of(number)],
                "hostname": f"ws-{number:06d}",
                "ips": [f"10.{school}.{number >> 8 & 255}.{number & 255}"],
            },
            "attributes": {"vendor": "Dell", "model": "OptiPlex 7010", "kind": "workstation"},
        }
    )


def load(database: Database, count: int) -> str:
    """Create the sites, ingest ``count`` assets, and return a read token."""
    with database.session(writer=True) as session:
        for school in range(40):
            upsert_site(session, f"school-{school:02d}", subnets=[f"10.{school}.0.0/16"])
        _token, secret = create_token(session, "bench", [Scope.READ])
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("loading assets", total=count)
        for start in range(0, count, 5000):
            batch = [synthetic(n) for n in range(start, min(start + 5000, count))]
            with database.session(writer=True) as session:
                ingest(session, batch)
            progress.advance(task, len(batch))
    return secret


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """Start uvicorn on the bench app and wait for /health."""
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "bench.api.server:app",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--http", "httptools", "--loop", "uvloop", "--log-level", "warning", "--no-access-log",
        ],
        env={**os.environ, "MUSTER_DATABASE_URL": url},
        cwd=HERE.parent.parent,
    )  # fmt: skip
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def drive(
    port: int, paths: list[str], token: str, args: argparse.Namespace, seconds: int
) -> dict[str, float]:
    """Run wrk over the paths; return requests/s, p50 and p99 in milliseconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    result = subprocess.run(
        [
            "wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s",
            "--latency", "-s", str(HERE / "paths.lua"), f"http://127.0.0.1:{port}",
        ],
        env={**os.environ, "PATHS": listing.name, "TOKEN": token},
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    Path(listing.name).unlink()
    out = result.stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=15, help="Seconds per endpoint.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=2, help="uvicorn worker processes, for both endpoints."
    )
    parser.add_argument("--rounds", type=int, default=3, help="Rounds over the three endpoints.")
    parser.add_argument(
        "--backend",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="postgresql: a private cluster with the server's default settings.",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: run scripts/setup --bench")
    with ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="muster-bench-"))
        stack.callback(shutil.rmtree, folder)
        url = (
            stack.enter_context(private_cluster())
            if args.backend == "postgresql"
            else f"sqlite:///{folder / 'muster.db'}"
        )
        rounds = measure(url, args)
    report(rounds, args)


def measure(url: str, args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    """Load the CMDB at ``url``, serve it, and drive each endpoint for the rounds asked."""
    database = Database(url)
    database.ensure_schema()
    started = time.perf_counter()
    token = load(database, args.assets)
    database.dispose()
    console.print(f"loaded {args.assets} assets in {time.perf_counter() - started:.0f} s")

    rng = random.Random(7)
    sample = [rng.randrange(args.assets) for _ in range(5000)]
    runs = {
        EMPTY: ["/bench/empty"],
        "lookup by serial": [f"/api/v1/assets/lookup?serial=SN{n:08d}" for n in sample],
        "lookup by MAC": [f"/api/v1/assets/lookup?mac={mac_of(n)}" for n in sample],
    }
    port = 18000 + os.getpid() % 1000
    server = serve(url, port, args.workers)
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
    try:
        for paths in runs.values():
            drive(port, paths, token, args, seconds=max(2, args.duration // 5))
        for number in range(args.rounds):
            for name, paths in runs.items():
                rounds[name].append(drive(port, paths, token, args, seconds=args.duration))
                figures = rounds[name][-1]
                console.print(
                    f"round {number + 1}: {name}: {figures['rps']:.0f} requests/s, "
                    f"p50 {figures['p50']:.2f} ms, p99 {figures['p99']:.2f} ms"
                )
    finally:
        server.terminate()
        server.wait()
    return rounds


def report(rounds: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    """Print the medians over rounds, and each endpoint's share of the empty one's rate."""
    empty = rounds[EMPTY]
    table = Table(
        title=f"{args.assets} assets on {args.backend}, {args.connections} connections, "
        f"{args.workers} workers, median of {args.rounds} rounds of {args.duration} s"
    )
    for column in ("endpoint", "requests/s", "p50 ms", "p99 ms", "vs empty"):
        table.add_column(column, justify="right" if column != "endpoint" else "left")
    for name, measured in rounds.items():
        share = statistics.median(
            m["rps"] / e["rps"] for m, e in zip(measured, empty, strict=True)
        )
        table.add_row(
            name,
            f"{statistics.median(m['rps'] for m in measured):.0f}",
            f"{statistics.median(m['p50'] for m in measured):.2f}",
            f"{statistics.median(m['p99'] for m in measured):.2f}",
            f"{share:.0%}",
        )
    console.print(table)
    console.print("targets: >= 50 % of the empty endpoint's requests/s, p99 < 25 ms")


if __name__ == "__main__":
    main()
