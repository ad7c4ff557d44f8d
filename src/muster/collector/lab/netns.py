"""Network namespaces for the lab, all named with the project prefix ``mstr-``.

Only namespaces with that prefix are ever created or removed here. A lab
made by a process names its namespaces ``mstr-<pid>-...``; one whose process
is gone is stale (a crashed test run) and ``remove_stale`` removes it.
Named labs (the demo's ``mstr-demo-...``) are removed only by name.
"""

import logging
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence

from muster.cmdb.errors import ConfigurationError

logger = logging.getLogger(__name__)

PREFIX = "mstr-"
_PID_TAG = re.compile(rf"^{PREFIX}(\d+)-")


def lab_prerequisites() -> list[str]:
    """Say what is missing to build a lab here (root, iproute2), or nothing."""
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces are created with `ip netns add`)")
    if shutil.which("ip") is None:
        missing.append("iproute2 (the `ip` command): apt-get install iproute2")
    return missing


def ip(*args: str, namespace: str | None = None, check: bool = True) -> str:
    """Run an ``ip`` command, in a namespace if given, and return its output."""
    argv = ["ip", "netns", "exec", namespace, "ip", *args] if namespace else ["ip", *args]
    return run(argv, check=check)


def run(argv: Sequence[str], *, check: bool = True) -> str:
    """Run a command of the lab, raising ConfigurationError with its message on failure."""
    result = subprocess.run(list(argv), capture_output=True, text=True, check=False)  # noqa: S603
    if check and result.returncode != 0:
        raise ConfigurationError(
            f"lab command {' '.join(argv)!r} failed: {result.stderr.strip() or result.returncode}"
        )
    return result.stdout


def in_namespace(namespace: str, argv: Sequence[str]) -> list[str]:
    """Return argv that runs a command inside a namespace."""
    if not namespace.startswith(PREFIX):
        raise ConfigurationError(f"namespace {namespace!r} is not the lab's ({PREFIX}*)")
    return ["ip", "netns", "exec", namespace, *argv]


def namespaces() -> list[str]:
    """Return the names of the lab namespaces that exist."""
    out = run(["ip", "netns", "list"], check=False)
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return [name for name in names if name.startswith(PREFIX)]


def add(namespace: str) -> None:
    """Create a lab namespace with its loopback up."""
    if not namespace.startswith(PREFIX):
        raise ConfigurationError(f"namespace {namespace!r} is not the lab's ({PREFIX}*)")
    ip("netns", "add", namespace)
    ip("link", "set", "lo", "up", namespace=namespace)


def remove(namespace: str) -> None:
    """Stop every process in a lab namespace, then delete it."""
    if not namespace.startswith(PREFIX):
        raise ConfigurationError(f"namespace {namespace!r} is not the lab's ({PREFIX}*)")
    for pid in run(["ip", "netns", "pids", namespace], check=False).split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            continue
    ip("netns", "del", namespace, check=False)


def remove_stale() -> list[str]:
    """Remove lab namespaces left by processes that no longer run; return their names."""
    removed = []
    for name in namespaces():
        match = _PID_TAG.match(name)
        if match is None:
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            remove(name)
            removed.append(name)
    if removed:
        logger.info("removed stale lab namespaces: %s", ", ".join(removed))
    return removed
