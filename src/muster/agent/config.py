"""The agent's settings: defaults, a TOML config file, and command-line options over both.

The config file (``/etc/muster/agent.toml`` for root, else
``~/.config/muster/agent.toml``, or the one ``--config`` names)::

    server = "https://muster.example.org"
    token_file = "/etc/muster/agent.token"   # or: token = "..."
    site = "lincoln-es"
    interval = "1h"                           # daemon: how often to take an inventory
    ca_file = "/etc/muster/ca.pem"            # a private CA for the server's certificate
    spool_dir = "/var/lib/muster-agent/spool"

Unknown keys are refused, so a misspelt setting is an error rather than a
silently ignored one.
"""

import logging
import os
import re
import stat
import sys
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from muster.cmdb.errors import ConfigurationError

logger = logging.getLogger(__name__)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SITE_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")


def running_as_root() -> bool:
    """Tell whether the agent runs with root's rights (system-wide paths)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def default_config_path() -> Path:
    """Where the config file is looked for when ``--config`` is not given."""
    if running_as_root():
        return Path("/etc/muster/agent.toml")
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "muster" / "agent.toml"


def default_spool_dir() -> Path:
    """Where inventories wait for the server when no spool directory is configured."""
    if running_as_root():
        return Path("/var/lib/muster-agent/spool")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
        return Path(base) / "muster-agent" / "spool"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "muster-agent" / "spool"
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "muster-agent" / "spool"


@dataclass(frozen=True)
class AgentSettings:
    """Everything ``muster agent run`` and ``daemon`` need to know."""

    server: str | None = None
    token: str | None = field(default=None, repr=False)
    token_file: Path | None = None
    site: str | None = None
    interval: float = 3600.0
    flush_interval: float = 300.0
    spool_dir: Path = field(default_factory=default_spool_dir)
    spool_max_files: int = 500
    spool_max_mb: float = 64.0
    ca_file: Path | None = None
    timeout: float = 30.0
    retries: int = 4
    retry_delay: float = 1.0

    def resolve_token(self) -> str:
        """Return the token, read from token_file each time so a fixed file takes effect."""
        if self.token:
            return self.token
        if self.token_file is None:
            raise ConfigurationError(
                "no token: give --token, --token-file, or token/token_file in the config file "
                "(create one on the server with `muster token create --scope ingest`)"
            )
        return _read_token(self.token_file)


_KEYS = {f.name for f in fields(AgentSettings)}


def load_settings(config: Path | None, overrides: dict[str, Any]) -> AgentSettings:
    """Read the config file (the one given, else the default if it exists), then apply options."""
    path = config if config is not None else default_config_path()
    values: dict[str, Any] = {}
    if config is not None or path.exists():
        values = _read_config(path)
    values.update({k: v for k, v in overrides.items() if v is not None})
    if overrides.get("token") is not None:
        values.pop("token_file", None)
    elif overrides.get("token_file") is not None:
        values.pop("token", None)
    return _validated(values, where=str(path) if values else "options")


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            values = tomllib.load(stream)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"config file {str(path)!r} does not exist") from exc
    except OSError as exc:
        raise ConfigurationError(f"config file {str(path)!r} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {str(path)!r} is not valid TOML: {exc}") from exc
    unknown = sorted(set(values) - _KEYS)
    if unknown:
        raise ConfigurationError(
            f"config file {str(path)!r}: unknown setting {unknown[0]!r}; the settings are "
            + ", ".join(sorted(_KEYS))
        )
    return values


def _validated(values: dict[str, Any], *, where: str) -> AgentSettings:
    settings = AgentSettings()
    changes: dict[str, Any] = {}
    for name, value in values.items():
        try:
            changes[name] = _convert(name, value)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"{where}: {name} = {value!r}: {exc}") from exc
    return replace(settings, **changes)


def _convert(name: str, value: Any) -> Any:
    if name in ("interval", "flush_interval", "timeout", "retry_delay"):
        return parse_duration(value)
    if name in ("spool_dir", "ca_file", "token_file"):
        return Path(str(value)).expanduser()
    if name in ("spool_max_files", "retries"):
        number = int(value)
        if number < 1:
            raise ValueError("must be 1 or more")
        return number
    if name == "spool_max_mb":
        size = float(value)
        if size <= 0:
            raise ValueError("must be more than 0")
        return size
    if name == "site":
        code = str(value).strip().lower()
        if not _SITE_CODE.match(code):
            raise ValueError("not a site code: lower-case letters, digits, '.', '_', '-'")
        return code
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty text")
    return value.strip()


def parse_duration(value: object) -> float:
    """Parse a duration: seconds as a number, or with a unit, e.g. ``90``, ``15m``, ``1h``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if match is None:
            raise ValueError("expected a duration such as 90, 90s, 15m, 1h or 1d")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be more than 0 seconds")
    return seconds


def _read_token(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigurationError(
            f"token file {str(path)!r} cannot be read: {exc.strerror or exc}"
        ) from exc
    if not token:
        raise ConfigurationError(f"token file {str(path)!r} is empty: put the ingest token in it")
    if os.name == "posix" and mode & (stat.S_IRGRP | stat.S_IROTH):
        logger.warning(
            "token file %s can be read by other users; `chmod 600 %s` keeps the token secret",
            path,
            path,
        )
    return token
