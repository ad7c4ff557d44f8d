"""The spool: inventories waiting for the server, one file each, safe across crashes.

Every inventory is written here before it is sent and removed only once the
server has acknowledged it, so an outage, a crash or a power cut loses
nothing. Each file holds the exact request body (a gzip-compressed JSON array
of one Observation); its name holds the capture time, so the oldest is sent
first, and the idempotency key, so a re-send is recognised by the server.

Writes are atomic: a temporary file in the same directory is written,
flushed to disk, renamed into place, and the directory itself is flushed.
The spool is bounded by count and size; when full, the oldest inventories are
dropped with a warning, since a newer inventory of the same host supersedes
them. Inventories the server will never accept go to a ``<spool>-rejected``
folder next to the spool, for a person to look at.
"""

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from muster.cmdb.errors import ConfigurationError

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILES = 500
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_NAME = re.compile(r"^(\d{8}T\d{12}Z)-([0-9a-f]{64})\.json\.gz$")
_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
# A temporary file this old was left by a crash mid-write, not by a writer at work.
_STALE_TEMP_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class SpooledInventory:
    """One inventory waiting in the spool."""

    path: Path
    key: str
    captured_at: datetime
    size: int

    def body(self) -> bytes:
        """Return the request body exactly as it was spooled."""
        return self.path.read_bytes()


class Spool:
    """A directory of inventories waiting for delivery, oldest first."""

    def __init__(
        self,
        directory: Path,
        *,
        max_files: int = DEFAULT_MAX_FILES,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if max_files < 1 or max_bytes < 1:
            raise ConfigurationError(
                f"spool limits must be positive (got {max_files!r} files, {max_bytes!r} bytes)"
            )
        self.directory = directory
        self.rejected_directory = directory.with_name(directory.name + "-rejected")
        self.max_files = max_files
        self.max_bytes = max_bytes

    def put(self, body: bytes, *, key: str, captured_at: datetime) -> SpooledInventory:
        """Store an inventory durably, then drop the oldest ones beyond the bounds."""
        _ensure_directory(self.directory)
        self._remove_stale_temporaries()
        name = f"{captured_at.astimezone(UTC).strftime(_TIME_FORMAT)}-{key}.json.gz"
        path = self.directory / name
        write_atomically(path, body)
        logger.info("spooled inventory %s (%d bytes) in %s", key[:12], len(body), self.directory)
        self._enforce_bounds(keep=path)
        return SpooledInventory(path, key, captured_at.astimezone(UTC), len(body))

    def pending(self) -> list[SpooledInventory]:
        """Return the inventories waiting for delivery, oldest first."""
        return _listing(self.directory)

    def remove(self, item: SpooledInventory) -> None:
        """Forget an inventory the server has acknowledged."""
        with contextlib.suppress(FileNotFoundError):
            item.path.unlink()
        _sync_directory(self.directory)

    def reject(self, item: SpooledInventory, reason: str) -> Path:
        """Move an inventory the server will never accept to the rejected folder."""
        _ensure_directory(self.rejected_directory)
        target = self.rejected_directory / item.path.name
        item.path.replace(target)
        write_atomically(_reason_path(target), (reason + "\n").encode())
        _sync_directory(self.directory)
        logger.warning(
            "inventory %s was refused and moved to %s: %s", item.key[:12], target, reason
        )
        rejected = _listing(self.rejected_directory)
        for old in rejected[: max(0, len(rejected) - self.max_files)]:
            logger.warning("rejected folder is full: deleting the oldest, %s", old.path.name)
            for path in (old.path, _reason_path(old.path)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        return target

    @contextlib.contextmanager
    def locked(self) -> Iterator[bool]:
        """Hold the spool's flush lock; yields False when another agent holds it."""
        _ensure_directory(self.directory)
        try:
            import fcntl
        except ImportError:  # Windows: one agent per spool is the documented rule
            yield True
            return
        with (self.directory / ".lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _enforce_bounds(self, *, keep: Path) -> None:
        items = self.pending()
        total = sum(item.size for item in items)
        for item in items:
            if len(items) <= self.max_files and total <= self.max_bytes:
                break
            if item.path == keep:
                continue
            logger.warning(
                "spool %s is full (%d inventories, %d bytes; limits %d and %d): dropped the "
                "oldest, captured %s; a newer inventory of this host supersedes it",
                self.directory,
                len(items),
                total,
                self.max_files,
                self.max_bytes,
                item.captured_at.isoformat(timespec="seconds"),
            )
            with contextlib.suppress(FileNotFoundError):
                item.path.unlink()
            items = [i for i in items if i is not item]
            total -= item.size
        _sync_directory(self.directory)

    def _remove_stale_temporaries(self) -> None:
        now = datetime.now(UTC).timestamp()
        for path in self.directory.glob(".*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                if now - path.stat().st_mtime > _STALE_TEMP_SECONDS:
                    logger.info("removing %s, left by an interrupted write", path)
                    path.unlink()


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file so that it is either complete or absent, even after a power cut."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise
    _sync_directory(path.parent)


def _reason_path(path: Path) -> Path:
    return path.with_name(path.name + ".reason.txt")


def _listing(directory: Path) -> list[SpooledInventory]:
    items = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or not entry.is_file():
            continue
        captured_at = datetime.strptime(match.group(1), _TIME_FORMAT).replace(tzinfo=UTC)
        items.append(
            SpooledInventory(Path(entry.path), match.group(2), captured_at, entry.stat().st_size)
        )
    return sorted(items, key=lambda item: (item.captured_at, item.key))


def _ensure_directory(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the spool directory {str(directory)!r}: {exc.strerror}; "
            "choose another with --spool-dir or spool_dir in the config file"
        ) from exc


def _sync_directory(directory: Path) -> None:
    """Flush a directory's entries (renames, deletions) to disk where the OS allows it."""
    if os.name != "posix":
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
