"""Which credential worked on which device, so it is tried first next time.

Only credential *names* are kept, never secrets. The memory is a small JSON
file beside the collector (``{"10.1.2.3": {"credential": "campus-ro", "at":
"2026-11-02T08:00:00+00:00"}}``), because a collector that runs at a site
and posts to the API has no database of its own. It is a hint: a missing or
unreadable file only means every credential is tried again.
"""

import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from muster.cmdb.errors import ConfigurationError

logger = logging.getLogger(__name__)


class CredentialMemory:
    """Device address -> name of the credential that last worked on it."""

    def __init__(self, path: Path | None = None, entries: dict[str, str] | None = None) -> None:
        self.path = path
        self._entries: dict[str, dict[str, str]] = {
            address: {"credential": name, "at": ""} for address, name in (entries or {}).items()
        }
        self._dirty = False

    @classmethod
    def load(cls, path: Path) -> "CredentialMemory":
        """Read the memory from a file; a missing or unreadable file gives an empty one."""
        memory = cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return memory
        except (OSError, ValueError) as exc:
            logger.warning("SNMP credential memory %s unreadable, starting afresh: %s", path, exc)
            return memory
        if not isinstance(data, dict):
            logger.warning("SNMP credential memory %s is not a JSON object; ignored", path)
            return memory
        for address, entry in data.items():
            if isinstance(entry, dict) and isinstance(entry.get("credential"), str):
                memory._entries[str(address)] = {
                    "credential": entry["credential"],
                    "at": str(entry.get("at", "")),
                }
        return memory

    def get(self, address: str) -> str | None:
        """Return the name of the credential that last worked on a device, or None."""
        entry = self._entries.get(address)
        return entry["credential"] if entry else None

    def remember(self, address: str, credential: str) -> None:
        """Note that a credential worked on a device."""
        if self.get(address) != credential:
            self._dirty = True
        self._entries[address] = {"credential": credential, "at": datetime.now(UTC).isoformat()}

    def __len__(self) -> int:
        return len(self._entries)

    def save(self) -> None:
        """Write the memory to its file (atomically) when it changed; no-op without a path."""
        if self.path is None or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self._entries, indent=1, sort_keys=True)
        try:
            handle, scratch = tempfile.mkstemp(dir=self.path.parent, prefix=".snmp-memory-")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            Path(scratch).replace(self.path)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot write SNMP credential memory {str(self.path)!r}: {exc}; "
                "check that its folder is writable"
            ) from exc
        self._dirty = False
