"""A snapshot: the raw material of one inventory, exactly as it was read.

Reading the host (``capture``) is kept apart from understanding what was read
(``parse``): a Snapshot holds file contents by their path, the output of the
few commands the agent runs, and psutil's readings as plain JSON. Saved to a
directory it becomes a recording (``muster agent record``), which is how the
test fixtures under ``tests/fixtures/agent/<case>/`` were made and how a user
can send the agent's view of a machine along with a bug report.

On disk::

    meta.json            when it was captured and what the platform module said
    files/<path>         each file read, at its path below /
    commands/<name>.txt  output of each command (see ``COMMANDS``)
    psutil.json          psutil's readings, or absent when psutil was not asked
"""

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from muster.cmdb.errors import ConfigurationError

# Commands whose output a snapshot may hold, by the name it is stored under.
COMMANDS: dict[str, tuple[str, ...]] = {
    "ip-addr": ("ip", "-j", "addr", "show"),
    # One package a line: name, [epoch:]version-release, arch, vendor; tab-separated.
    "rpm": (
        "rpm",
        "-qa",
        "--queryformat",
        "%{NAME}\\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{VENDOR}\\n",
    ),
}


@dataclass
class Snapshot:
    """Everything one inventory was built from, as read from the host."""

    captured_at: datetime
    platform: dict[str, str | None] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    psutil: dict[str, Any] | None = None

    def file(self, path: str) -> str | None:
        """Return the text of a file by its absolute path, or None when it was not read."""
        return self.files.get(path.lstrip("/"))

    def files_under(self, directory: str) -> dict[str, str]:
        """Return the files read below a directory, by path relative to it."""
        prefix = directory.strip("/") + "/"
        return {
            path.removeprefix(prefix): text
            for path, text in self.files.items()
            if path.startswith(prefix)
        }

    def save(self, directory: Path) -> None:
        """Write the snapshot to a directory, one file per item, for replay and tests."""
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"captured_at": self.captured_at.isoformat(), "platform": self.platform}
        _write(directory / "meta.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
        for path, text in sorted(self.files.items()):
            _write(directory / "files" / path, text)
        for name, text in sorted(self.commands.items()):
            _write(directory / "commands" / f"{name}.txt", text)
        if self.psutil is not None:
            _write(directory / "psutil.json", json.dumps(self.psutil, indent=1) + "\n")

    @classmethod
    def load(cls, directory: Path) -> "Snapshot":
        """Read a snapshot saved by :meth:`save`."""
        meta_path = directory / "meta.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            captured_at = datetime.fromisoformat(meta["captured_at"])
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigurationError(
                f"{str(directory)!r} is not a recorded snapshot: {meta_path.name} is missing "
                f"or has no captured_at ({exc})"
            ) from exc
        files_dir = directory / "files"
        files = {
            path.relative_to(files_dir).as_posix(): path.read_text(
                encoding="utf-8", errors="replace"
            )
            for path in sorted(files_dir.rglob("*"))
            if path.is_file()
        }
        commands = {
            path.stem: path.read_text(encoding="utf-8")
            for path in sorted((directory / "commands").glob("*.txt"))
        }
        psutil_path = directory / "psutil.json"
        readings = json.loads(psutil_path.read_text()) if psutil_path.exists() else None
        return cls(
            captured_at=captured_at,
            platform=meta.get("platform", {}),
            files=files,
            commands=commands,
            psutil=readings,
        )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
