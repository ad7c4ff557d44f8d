"""Benchmark: the gap report for 1,000 sites, 200,000 assets and 50 requirement lines a site.

Run: ``.venv/bin/python -m bench.reports`` (``--help`` for sizes). Prints the
time of the gap report (CMDB frames to report frames, best of three runs),
the time to read those frames from a SQLite CMDB holding the same rows, the
outage view's time (no target), and the process's peak RSS, against the
targets (< 2 s, < 1 GB).
"""

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert

from muster.cmdb.db import Database
from muster.cmdb.models import Asset, Requirement, Site
from muster.reports.frames import (
    ASSET_COLUMNS,
    REQUIREMENT_COLUMNS,
    STATUS_CHANGE_COLUMNS,
    TICKET_COLUMNS,
    CmdbFrames,
    frame,
    load_frames,
)
from muster.reports.gaps import gap_report
from muster.reports.outage import outage_view

NOW = datetime(2026, 11, 12, 8, 0, tzinfo=UTC)
GIB = 1024**3
KINDS = ("workstation", "laptop", "access_point", "projector", "printer", "switch", "ups",
         "phone", "camera", "server", "router", "storage")  # fmt: skip
OS_NAMES = ("Windows 11 Pro", "Windows 10 Pro", "Ubuntu 24.04 LTS", "macOS 14.5", "Chrome OS")
STATUSES = ("active", "damaged", "in_repair", "missing", "retired")
TARGET_SECONDS = 2.0
TARGET_RSS_MB = 1024


def synthetic_frames(sites: int, assets: int, lines_per_site: int, seed: int = 6) -> CmdbFrames:
    """A district of the given size with overlapping lines of one kind at every site."""
    rng = np.random.default_rng(seed)
    site_ids = np.arange(1, sites + 1)
    asset_kind = rng.choice([*KINDS, "unknown"], size=assets, p=[0.3] + [0.06] * 11 + [0.04])
    status = rng.choice(STATUSES, size=assets, p=[0.85, 0.05, 0.03, 0.05, 0.02])
    last_seen = pd.Timestamp(NOW) - pd.to_timedelta(rng.integers(0, 30 * 24, assets), unit="h")
    firmware = pd.Timestamp(date(2012, 1, 1)) + pd.to_timedelta(
        rng.integers(0, 14 * 365, assets), unit="D"
    )
    asset_frame = pd.DataFrame(
        {
            "id": np.arange(1, assets + 1),
            "site_id": pd.array(rng.choice(site_ids, size=assets), dtype="Int64"),
            "kind": asset_kind,
            "status": status,
            "hostname": [f"host-{i}" for i in range(assets)],
            "vendor": "Dell",
            "model": "OptiPlex",
            "serial": None,
            "os_name": rng.choice(OS_NAMES, size=assets),
            "cpu_cores": pd.array(rng.choice([2, 4, 8, 16], size=assets), dtype="Int64"),
            "memory_bytes": pd.array(rng.choice([4, 8, 16, 32], size=assets) * GIB, dtype="Int64"),
            "firmware_date": firmware,
            "first_seen": last_seen - pd.Timedelta(days=60),
            "last_seen": last_seen,
        }
    )[list(ASSET_COLUMNS)]
    return CmdbFrames(
        sites=pd.DataFrame(
            {"id": site_ids, "code": [f"site-{i}" for i in site_ids], "name": "School"}
        ),
        assets=asset_frame,
        requirements=_requirements(site_ids, lines_per_site, rng),
        status_changes=frame([], STATUS_CHANGE_COLUMNS),
        tickets=frame([], TICKET_COLUMNS),
    )


def _requirements(
    site_ids: np.ndarray, lines_per_site: int, rng: np.random.Generator
) -> pd.DataFrame:
    # Each site: lines_per_site lines over the kinds, several per kind with rising specs.
    per_site = pd.DataFrame({"slot": np.arange(lines_per_site)})
    per_site["kind"] = [KINDS[i % len(KINDS)] for i in range(lines_per_site)]
    per_site["level"] = per_site["slot"] // len(KINDS)
    lines = per_site.merge(pd.DataFrame({"site_id": site_ids}), how="cross")
    level = lines["level"].to_numpy()
    lines["id"] = np.arange(1, len(lines) + 1)
    lines["label"] = "level-" + lines["level"].astype(str)
    lines["count"] = rng.integers(1, 6, len(lines))
    lines["min_memory_bytes"] = pd.Series(4 * GIB * level, dtype="Int64").where(level > 0)
    lines["min_cpu_cores"] = pd.Series(4, index=lines.index, dtype="Int64").where(level > 1)
    lines["os_family"] = pd.Series("windows", index=lines.index).where(level == 3)
    lines["max_age_years"] = pd.Series(8, index=lines.index, dtype="Int64").where(level > 2)
    lines["template_id"] = pd.array([None] * len(lines), dtype="Int64")
    lines["site_id"] = lines["site_id"].astype("Int64")
    return lines[list(REQUIREMENT_COLUMNS)]


def _store(frames: CmdbFrames, path: Path) -> Database:
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    assets = frames.assets.astype(object).where(frames.assets.notna(), None)
    assets["firmware_date"] = [
        d.date() if d is not None else None for d in assets["firmware_date"]
    ]
    requirements = frames.requirements.astype(object).where(frames.requirements.notna(), None)
    with database.engine.begin() as connection:
        for table, rows in ((Site, frames.sites), (Asset, assets), (Requirement, requirements)):
            records = [{str(k): v for k, v in row.items()} for row in rows.to_dict("records")]
            connection.execute(insert(table), records)
    return database


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--assets", type=int, default=200_000)
    parser.add_argument("--lines-per-site", type=int, default=50)
    parser.add_argument("--skip-database", action="store_true", help="Do not time the loader.")
    args = parser.parse_args(argv)

    frames = synthetic_frames(args.sites, args.assets, args.lines_per_site)
    print(
        f"district: {len(frames.sites)} sites, {len(frames.assets)} assets, "
        f"{len(frames.requirements)} requirement lines; peak RSS so far {_peak_rss_mb():.0f} MB"
    )
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        report = gap_report(frames, as_of=pd.Timestamp(NOW), fresh_within=timedelta(days=7))
        timings.append(time.perf_counter() - started)
    best = min(timings)
    print(
        f"gap report: {best:.2f} s best of 3 ({', '.join(f'{t:.2f}' for t in timings)}); "
        f"target < {TARGET_SECONDS:.0f} s: {'met' if best < TARGET_SECONDS else 'MISSED'}"
    )
    print(
        f"  {len(report.lines)} lines, {len(report.allocation)} assets allocated, "
        f"district restored {report.district['restored_pct']} %"
    )
    sightings = pd.DataFrame(
        {
            "asset_id": pd.Series([], dtype="int64"),
            "first_after": pd.Series([], dtype="datetime64[ns, UTC]"),
        }
    )
    started = time.perf_counter()
    outage = outage_view(frames, sightings, baseline=date(2026, 10, 12), as_of=pd.Timestamp(NOW))
    print(
        f"outage view (no target): {time.perf_counter() - started:.2f} s for "
        f"{outage.timeline['at'].nunique()} days of restoration"
    )
    peak = _peak_rss_mb()
    print(
        f"peak RSS: {peak:.0f} MB; target < {TARGET_RSS_MB} MB: "
        f"{'met' if peak < TARGET_RSS_MB else 'MISSED'}"
    )
    if not args.skip_database:
        with tempfile.TemporaryDirectory() as scratch:
            database = _store(frames, Path(scratch) / "bench.db")
            started = time.perf_counter()
            with database.session() as session:
                loaded = load_frames(session)
            print(
                f"load frames from SQLite: {time.perf_counter() - started:.2f} s "
                f"({len(loaded.assets)} assets, {len(loaded.requirements)} lines)"
            )
            database.dispose()
    return 0 if best < TARGET_SECONDS and peak < TARGET_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main())
