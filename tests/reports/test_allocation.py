"""Allocating assets to overlapping requirement lines, and spec checks, on hand-built frames."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from muster.cmdb.osfamily import family_of
from muster.reports.frames import (
    ASSET_COLUMNS,
    REQUIREMENT_COLUMNS,
    SITE_COLUMNS,
    STATUS_CHANGE_COLUMNS,
    TICKET_COLUMNS,
    CmdbFrames,
    frame,
)
from muster.reports.gaps import gap_report
from muster.reports.spec import os_families

GIB = 1024**3
NOW = datetime(2026, 11, 12, 8, 0, tzinfo=UTC)


def _asset(asset_id: int, **values: Any) -> tuple[Any, ...]:
    row: dict[str, Any] = {
        "id": asset_id, "site_id": 1, "kind": "workstation", "status": "active",
        "hostname": f"pc-{asset_id}", "first_seen": NOW - timedelta(days=30),
        "last_seen": NOW - timedelta(hours=1),
    }  # fmt: skip
    row.update(values)
    return tuple(row.get(column) for column in ASSET_COLUMNS)


def _line(line_id: int, count: int, **spec: Any) -> tuple[Any, ...]:
    row: dict[str, Any] = {"id": line_id, "site_id": 1, "kind": "workstation", "count": count}
    row.update(spec)
    return tuple(row.get(column) for column in REQUIREMENT_COLUMNS)


def _usable(assets: list[tuple[Any, ...]], lines: list[tuple[Any, ...]]) -> dict[int, list[int]]:
    frames = CmdbFrames(
        sites=frame([(1, "lab-es", "Lab Elementary")], SITE_COLUMNS),
        assets=frame(assets, ASSET_COLUMNS),
        requirements=frame(lines, REQUIREMENT_COLUMNS),
        status_changes=frame([], STATUS_CHANGE_COLUMNS),
        tickets=frame([], TICKET_COLUMNS),
    )
    report = gap_report(frames, as_of=pd.Timestamp(NOW))
    return {
        int(line_id): report.assets_behind(int(line_id), "usable")
        for line_id in report.lines["requirement_id"]
    }


def test_allocation_fills_strict_line_before_loose_one_of_same_kind() -> None:
    assets = [_asset(1, memory_bytes=4 * GIB), _asset(2, memory_bytes=32 * GIB),
              _asset(3, memory_bytes=4 * GIB), _asset(4, memory_bytes=32 * GIB)]  # fmt: skip
    lines = [_line(1, 2), _line(2, 2, min_memory_bytes=16 * GIB)]

    assert _usable(assets, lines) == {1: [1, 3], 2: [2, 4]}


def test_allocation_gives_strict_line_the_asset_fewest_other_lines_can_use() -> None:
    assets = [
        _asset(1, memory_bytes=16 * GIB, os_name="Windows 11 Pro"),
        _asset(2, memory_bytes=16 * GIB, os_name="Debian GNU/Linux 12 (bookworm)"),
    ]
    lines = [_line(1, 1, os_family="windows"), _line(2, 1, min_memory_bytes=8 * GIB)]

    assert _usable(assets, lines) == {1: [1], 2: [2]}


def test_allocation_counts_an_asset_once_when_lines_overlap() -> None:
    assets = [_asset(1, memory_bytes=16 * GIB)]
    lines = [_line(1, 1), _line(2, 1, min_memory_bytes=8 * GIB)]

    assert _usable(assets, lines) == {1: [], 2: [1]}


@pytest.mark.parametrize(
    ("memory_gib", "usable"),
    [(7.2, True), (7.1, False), (8.0, True)],
    ids=["90-percent-of-minimum", "under-90-percent", "exact-minimum"],
)
def test_memory_spec_allows_what_firmware_reserves(memory_gib: float, usable: bool) -> None:
    assets = [_asset(1, memory_bytes=int(memory_gib * GIB))]

    assert _usable(assets, [_line(1, 1, min_memory_bytes=8 * GIB)]) == {1: [1] if usable else []}


@pytest.mark.parametrize(
    ("firmware", "usable"),
    [(date(2020, 11, 12), True), (date(2020, 11, 11), False), (None, False)],
    ids=["exactly-six-years", "a-day-older", "firmware-date-unknown"],
)
def test_age_spec_reads_the_firmware_date(firmware: date | None, usable: bool) -> None:
    assets = [_asset(1, firmware_date=firmware)]

    assert _usable(assets, [_line(1, 1, max_age_years=6)]) == {1: [1] if usable else []}


@pytest.mark.parametrize(
    ("os_name", "family"),
    [
        ("Microsoft Windows 11 Pro", "windows"),
        ("Debian GNU/Linux 12 (bookworm)", "linux"),
        ("macOS 14.5", "macos"),
        ("Chrome OS 120", "chromeos"),
        ("iPadOS 17.2", "ios"),
        ("Cisco IOS Software, C2960 Software", None),
        ("FreeBSD 14.0", "bsd"),
        (None, None),
    ],
    ids=["windows", "debian", "macos", "chromeos", "ipados", "cisco-ios-is-not-apple",
         "freebsd", "no-os"],
)  # fmt: skip
def test_os_family_is_read_from_the_os_name(os_name: str | None, family: str | None) -> None:
    vectorised = os_families(pd.Series([os_name], dtype="object"))

    assert family_of(os_name) == family
    assert (None if pd.isna(vectorised[0]) else vectorised[0]) == family


@pytest.mark.parametrize(
    ("wanted", "usable"),
    [("windows", [1]), ("macos", [2]), ("beos", [])],
    ids=["windows", "macos", "stored-before-checks-no-such-family-matches-nothing"],
)
def test_os_family_of_a_line_takes_assets_of_that_family_only(
    wanted: str, usable: list[int]
) -> None:
    assets = [_asset(1, os_name="Windows 11 Pro"), _asset(2, os_name="macOS 14.5")]

    assert _usable(assets, [_line(1, 2, os_family=wanted)]) == {1: usable}
