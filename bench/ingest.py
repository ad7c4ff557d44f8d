"""Benchmark of ingest: 200k Observations of 40k devices over 50 sites.

The district is synthetic but shaped like a real one after an outage: agents
on PCs and servers, SNMP on switches and printers, nmap and ARP sweeps of
everything, each device seen about five times over a week, with the traps
(placeholder serials, cloned VMs, docking-station NICs, renamed PCs,
re-used DHCP addresses). Observations arrive in batches, as collectors post
them. Each backend runs in its own process so its peak RSS is its own.

    python -m bench.ingest                     # both backends, full size
    python -m bench.ingest --backend sqlite --devices 4000 --observations 20000
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.pgcluster import private_cluster
from muster.cmdb.gcpause import collector_paused
from muster.cmdb.observation import Observation, parse_observation

START = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
SITES = 50
BATCH = 5000
POSTGRES_ADMIN_URL = os.environ.get(
    "MUSTER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class Device:
    """One synthetic machine and what each source can see of it."""

    def __init__(self, number: int, rng: random.Random) -> None:
        self.number = number
        self.site = number % SITES
        self.role = rng.choices(
            ["pc", "laptop", "printer", "switch", "iot", "vm"], weights=[55, 12, 10, 5, 13, 5]
        )[0]
        octets = number // SITES
        self.ip = f"10.{self.site}.{octets // 250}.{octets % 250 + 2}"
        self.mac = (
            f"00:1b:21:{number >> 16 & 0xFF:02x}:{number >> 8 & 0xFF:02x}:{number & 0xFF:02x}"
        )
        placeholder = rng.random() < 0.02
        self.serial = "To Be Filled By O.E.M." if placeholder else f"SN{number:08d}"
        self.uuid = str(uuid.UUID(int=number + 1))
        if self.role == "vm":
            # Pairs of clones share a UUID; their NICs are virtual.
            self.uuid = str(uuid.UUID(int=(number // 2) + 10_000_000))
            self.mac = (
                f"00:50:56:{number >> 16 & 0xFF:02x}:{number >> 8 & 0xFF:02x}:{number & 0xFF:02x}"
            )
            self.serial = f"VMware-{number:08d}"
        self.hostname = f"{self.role}-{number}"
        self.dock = (
            f"00:e0:4c:00:{self.site:02x}:01"
            if self.role == "laptop" and rng.random() < 0.1
            else None
        )

    def agent(self, at: datetime, renamed: bool) -> dict[str, Any]:
        macs = [self.mac] + ([self.dock] if self.dock else [])
        kind = {"pc": "workstation", "laptop": "laptop", "vm": "server"}[self.role]
        return _record(
            "agent",
            at,
            {
                "serial": self.serial,
                "system_uuid": self.uuid,
                "macs": macs,
                "hostname": f"{self.hostname}-new" if renamed else self.hostname,
                "ips": [self.ip],
            },
            {
                "kind": kind,
                "vendor": "HP",
                "model": "EliteDesk 800 G6",
                "memory_bytes": 8 << 30,
                "os_name": "Windows 11 Education",
                "cpu_cores": 6,
            },
            software=[
                {"name": "firefox", "version": "120.0"},
                {"name": "libreoffice", "version": "7.6"},
            ],
        )

    def snmp(self, at: datetime) -> dict[str, Any]:
        kind = "printer" if self.role == "printer" else "switch"
        return _record(
            "snmp",
            at,
            {
                "serial": self.serial,
                "macs": [self.mac],
                "hostname": self.hostname,
                "ips": [self.ip],
            },
            {
                "kind": kind,
                "vendor": "Hewlett-Packard",
                "model": "LaserJet M507" if kind == "printer" else "Aruba 2930F",
                "location": f"site {self.site}",
            },
        )

    def nmap(self, at: datetime) -> dict[str, Any]:
        return _record(
            "nmap",
            at,
            {"macs": [self.mac], "ips": [self.ip]},
            {"os_name": "Linux"},
            services=[{"port": 22}, {"port": 443}],
        )

    def arp(self, at: datetime, ip: str | None = None) -> dict[str, Any]:
        return _record("arp", at, {"macs": [self.mac], "ips": [ip or self.ip]}, {})

    def icmp(self, at: datetime) -> dict[str, Any]:
        return _record("icmp", at, {"ips": [self.ip]}, {})

    def sightings(self, rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
        """``count`` sightings of this device by the sources that can see it."""
        sources = {
            "pc": ["agent", "arp", "nmap", "arp", "agent"],
            "laptop": ["agent", "arp", "agent", "nmap", "arp"],
            "printer": ["snmp", "arp", "nmap", "snmp", "arp"],
            "switch": ["snmp", "arp", "snmp", "nmap", "arp"],
            "iot": ["arp", "icmp", "arp", "nmap", "icmp"],
            "vm": ["agent", "nmap", "agent", "icmp", "agent"],
        }[self.role]
        renamed_at = rng.randrange(count) if rng.random() < 0.02 else count
        for n in range(count):
            at = START + timedelta(hours=n * 24 + rng.randrange(12), seconds=self.number)
            source = sources[n % len(sources)]
            if source == "agent":
                yield self.agent(at, renamed=n >= renamed_at)
            elif source == "snmp":
                yield self.snmp(at)
            elif source == "nmap":
                yield self.nmap(at)
            elif source == "icmp":
                yield self.icmp(at)
            else:
                yield self.arp(at)


def _record(
    source: str,
    at: datetime,
    identifiers: dict[str, Any],
    attributes: dict[str, Any],
    **children: Any,
) -> dict[str, Any]:
    return {
        "schema": "muster.observation/1",
        "source": source,
        "observed_at": at.isoformat(),
        "identifiers": identifiers,
        "attributes": attributes,
        **children,
    }


def district(devices: int, observations: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Yield the district's Observations day by day, as sweeps and agents deliver them."""
    rng = random.Random(seed)
    machines = [Device(n, rng) for n in range(devices)]
    per_device = max(1, observations // devices)
    # One generator per device, advanced a day at a time: only a day's sightings
    # are in memory, so the peak RSS measured is ingest's, not the generator's.
    streams = [m.sightings(rng, per_device) for m in machines]
    for _day in range(per_device):
        batch = [next(stream) for stream in streams]
        rng.shuffle(batch)
        yield from batch


def run_backend(url: str, devices: int, observations: int) -> dict[str, Any]:
    """Ingest the district into one database and measure it."""
    from muster.cmdb.db import Database
    from muster.cmdb.ingest import ingest
    from muster.cmdb.sites import upsert_site

    database = Database(url)
    database.ensure_schema()
    with database.session(writer=True) as session:
        for site in range(SITES):
            upsert_site(session, f"school-{site:02d}", subnets=[f"10.{site}.0.0/16"])

    parse_seconds = ingest_seconds = 0.0
    counts: dict[str, int] = {}
    pending: list[Observation] = []

    def flush() -> None:
        nonlocal ingest_seconds
        began = time.perf_counter()
        with database.session(writer=True) as session:
            report = ingest(session, pending, commit_batches=True)
        ingest_seconds += time.perf_counter() - began
        for outcome, n in report.counts().items():
            counts[outcome] = counts.get(outcome, 0) + n
        pending.clear()

    def parse(records: list[dict[str, Any]]) -> None:
        # As `muster ingest FILE` parses a file: with the garbage collector
        # paused (see cmdb/gcpause.py); here a batch at a time.
        nonlocal parse_seconds
        began = time.perf_counter()
        with collector_paused():
            pending.extend(parse_observation(record) for record in records)
        parse_seconds += time.perf_counter() - began
        records.clear()

    records: list[dict[str, Any]] = []
    for record in district(devices, observations):
        records.append(record)
        if len(records) >= BATCH:
            parse(records)
            flush()
    if records:
        parse(records)
        flush()
    from muster.cmdb.views import count_assets

    with database.session() as session:
        assets = count_assets(session)
    database.dispose()
    total = sum(counts.values())
    return {
        "observations": total,
        "assets": assets,
        "counts": counts,
        "ingest_seconds": round(ingest_seconds, 2),
        "parse_seconds": round(parse_seconds, 2),
        "observations_per_second": round(total / ingest_seconds),
        "end_to_end_per_second": round(total / (ingest_seconds + parse_seconds)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _postgres_database() -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"muster_bench_{os.getpid()}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False), name


def _drop_postgres(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    """Run the benchmark on the chosen backends and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--devices", type=int, default=40_000)
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument(
        "--shared-postgres",
        action="store_true",
        help="use the server at MUSTER_TEST_POSTGRES_URL instead of a private cluster "
        "with PostgreSQL's default settings",
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.url:  # child process: one backend
        print(json.dumps(run_backend(args.url, args.devices, args.observations)))
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"ingest benchmark: {args.observations} observations of {args.devices} devices, "
        f"{SITES} sites, batches of {BATCH}"
    )
    for backend in backends:
        with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
            if backend == "sqlite":
                url = f"sqlite:///{Path(scratch) / 'bench.db'}"
            elif args.shared_postgres:
                url, name = _postgres_database()
                stack.callback(_drop_postgres, name)
            else:
                url = stack.enter_context(private_cluster())
            output = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.ingest",
                    "--url",
                    url,
                    "--devices",
                    str(args.devices),
                    "--observations",
                    str(args.observations),
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=Path(__file__).parents[1],
            ).stdout
        figures = json.loads(output.splitlines()[-1])
        print(
            f"{backend:>10}: {figures['observations_per_second']:>6} observations/s ingest, "
            f"{figures['end_to_end_per_second']:>6}/s with validation, "
            f"peak RSS {figures['peak_rss_mb']} MB, {figures['assets']} assets, "
            f"outcomes {figures['counts']}"
        )


if __name__ == "__main__":
    main()
