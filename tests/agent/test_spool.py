"""The spool keeps every inventory until acknowledged, oldest first, within its bounds."""

import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from muster.agent.spool import Spool
from muster.cmdb.errors import ConfigurationError

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _key(number: int) -> str:
    return f"{number:064x}"


def test_put_stores_the_exact_body_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")

    item = spool.put(b"body-1", key=_key(1), captured_at=T0)

    assert item.body() == b"body-1"
    assert item.path.name == f"20261102T080000000000Z-{_key(1)}.json.gz"
    assert sorted(p.name for p in (tmp_path / "spool").iterdir()) == [item.path.name]
    assert (tmp_path / "spool").stat().st_mode & 0o777 == 0o700


def test_pending_lists_inventories_oldest_first_whatever_the_order_they_came(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path / "spool")
    for hours in (2, 0, 1):
        spool.put(b"x", key=_key(hours), captured_at=T0 + timedelta(hours=hours))

    pending = spool.pending()

    assert [item.captured_at for item in pending] == [T0 + timedelta(hours=h) for h in (0, 1, 2)]


def test_full_spool_drops_the_oldest_inventory_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path / "spool", max_files=2)
    for hours in range(3):
        spool.put(b"x", key=_key(hours), captured_at=T0 + timedelta(hours=hours))

    with caplog.at_level(logging.WARNING, logger="muster.agent.spool"):
        spool.put(b"x", key=_key(3), captured_at=T0 + timedelta(hours=3))

    assert [item.key for item in spool.pending()] == [_key(2), _key(3)]
    assert "is full" in caplog.text
    assert "captured 2026-11-02T09:00:00+00:00" in caplog.text


def test_spool_over_its_size_keeps_the_newest_inventory(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", max_bytes=10)
    spool.put(b"123456", key=_key(1), captured_at=T0)

    spool.put(b"1234567890", key=_key(2), captured_at=T0 + timedelta(hours=1))

    assert [item.key for item in spool.pending()] == [_key(2)]


def test_remove_forgets_an_acknowledged_inventory(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    item = spool.put(b"x", key=_key(1), captured_at=T0)

    spool.remove(item)

    assert spool.pending() == []


def test_reject_moves_inventory_next_to_the_spool_with_the_reason(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    item = spool.put(b"x", key=_key(1), captured_at=T0)

    target = spool.reject(item, "HTTP 422: site 'nowhere' does not exist")

    assert spool.pending() == []
    assert target.parent == tmp_path / "spool-rejected"
    assert target.read_bytes() == b"x"
    reason = target.with_name(target.name + ".reason.txt").read_text()
    assert reason == "HTTP 422: site 'nowhere' does not exist\n"


def test_leftover_of_an_interrupted_write_is_ignored_then_cleaned(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    directory.mkdir()
    leftover = directory / ".20261102T080000000000Z-x.json.gz.abc.tmp"
    leftover.write_bytes(b"half")
    old = time.time() - 7200
    os.utime(leftover, (old, old))
    spool = Spool(directory)

    assert spool.pending() == []
    spool.put(b"x", key=_key(1), captured_at=T0)

    assert not leftover.exists()


def test_second_flusher_is_told_the_spool_is_busy(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    other = Spool(tmp_path / "spool")

    with spool.locked() as mine, other.locked() as theirs:
        assert (mine, theirs) == (True, False)


def test_spool_limits_below_one_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"spool limits must be positive \(got 0 files"):
        Spool(tmp_path, max_files=0)
