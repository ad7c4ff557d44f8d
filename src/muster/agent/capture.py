"""Reading the host: files, a few commands and psutil, into a Snapshot; nothing is parsed.

What cannot be read is left out of the Snapshot and so reported absent: a
file that does not exist (no DMI in most containers), one that needs root
(the serial number and system UUID), a command that is not installed (``rpm``
on Debian, ``ip`` on Windows). Nothing here sends a packet; the one lookup
is the host's own name through the resolver, as ``hostname -f`` does.
"""

import logging
import platform
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from muster.agent.snapshot import COMMANDS, Snapshot

logger = logging.getLogger(__name__)

ROOT = Path("/")
# Single files, by path below /; the first of each pair that exists is used.
LINUX_FILES = (
    "etc/os-release",
    "usr/lib/os-release",
    "etc/machine-id",
    "var/lib/dbus/machine-id",
    "proc/cpuinfo",
    "proc/net/route",
    "proc/net/ipv6_route",
    "var/lib/dpkg/status",
    # Container and hypervisor markers, as systemd-detect-virt reads them.
    ".dockerenv",
    "run/.containerenv",
    "run/systemd/container",
    "sys/hypervisor/type",
)
DMI_DIR = "sys/class/dmi/id"
DMI_FILES = (
    "sys_vendor",
    "product_name",
    "product_version",
    "product_family",
    "product_serial",
    "product_uuid",
    "chassis_type",
    "chassis_vendor",
    "chassis_serial",
    "bios_vendor",
    "bios_version",
    "bios_date",
    "board_vendor",
    "board_name",
)
BLOCK_FILES = (
    "dev",
    "size",
    "removable",
    "queue/rotational",
    "serial",
    "device/model",
    "device/vendor",
    "device/serial",
)
RPM_DATABASES = ("var/lib/rpm", "usr/lib/sysimage/rpm")
COMMAND_TIMEOUT = 60.0


def capture(*, use_psutil: bool = True) -> Snapshot:
    """Read everything an inventory of this host is built from."""
    snapshot = Snapshot(captured_at=datetime.now(UTC), platform=_platform())
    if snapshot.platform["system"] == "Linux":
        # The commands run while the files are read.
        names = ["ip-addr"]
        if any((ROOT / path).is_dir() for path in RPM_DATABASES):
            names.append("rpm")
        running = {name: _start(name) for name in names}
        _read_files(snapshot, LINUX_FILES)
        _read_files(snapshot, (f"{DMI_DIR}/{name}" for name in DMI_FILES))
        _read_block_devices(snapshot)
        for name, process in running.items():
            output = _finish(name, process)
            if output is not None:
                snapshot.commands[name] = output
    if use_psutil:
        snapshot.psutil = psutil_readings()
    return snapshot


def run_command(name: str, *extra: str) -> str | None:
    """Run one of the known commands and return its output, or None when it failed."""
    return _finish(name, _start(name, *extra))


def _start(name: str, *extra: str) -> "subprocess.Popen[str] | None":
    argv = [*COMMANDS[name], *extra]
    executable = shutil.which(argv[0])
    if executable is None:
        logger.debug("%s is not installed; its facts are absent", argv[0])
        return None
    try:
        return subprocess.Popen(  # noqa: S603 (fixed argument lists, no shell)
            [executable, *argv[1:]],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as exc:
        logger.warning("%s could not be started: %s; its facts are absent", argv[0], exc)
        return None


def _finish(name: str, process: "subprocess.Popen[str] | None") -> str | None:
    if process is None:
        return None
    try:
        stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        logger.warning("%s took over %.0f s; its facts are absent", name, COMMAND_TIMEOUT)
        return None
    if process.returncode != 0:
        logger.warning("%s exited with %d: %s", name, process.returncode, stderr.strip())
        return None
    return stdout


def _read_files(snapshot: Snapshot, paths: Iterable[str]) -> None:
    for path in paths:
        text = read_text(ROOT / path)
        if text is not None:
            snapshot.files[path] = text


def read_text(path: Path) -> str | None:
    """Return a file's text, or None when it does not exist or may not be read."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except PermissionError:
        logger.info("%s can only be read by root; that fact is absent", path)
    except OSError as exc:
        # Missing files are normal (no DMI in a container); sysfs answers EINVAL
        # for attributes a driver does not support.
        logger.debug("%s not read: %s", path, exc.strerror)
    return None


def _read_block_devices(snapshot: Snapshot) -> None:
    block = ROOT / "sys/block"
    try:
        devices = sorted(entry.name for entry in block.iterdir())
    except OSError:
        return
    for device in devices:
        _read_files(snapshot, (f"sys/block/{device}/{name}" for name in BLOCK_FILES))
        number = snapshot.file(f"/sys/block/{device}/dev")
        if number:
            # udev's database holds the serials that sysfs shows only to root.
            _read_files(snapshot, [f"run/udev/data/b{number.strip()}"])


def _platform() -> dict[str, str | None]:
    hostname = socket.gethostname()
    system = platform.system()
    return {
        "system": system,
        "release": platform.release(),
        "version": platform.version(),
        "machine": platform.machine(),
        "hostname": hostname,
        "fqdn": _fqdn(hostname),
        "mac_version": (platform.mac_ver()[0] or None) if system == "Darwin" else None,
        "windows_edition": platform.win32_edition() if system == "Windows" else None,
    }


def _fqdn(hostname: str) -> str | None:
    """Return the host's canonical name when it has a domain, as ``hostname -f`` does."""
    if "." in hostname:
        return hostname
    try:
        answers = socket.getaddrinfo(hostname, None, flags=socket.AI_CANONNAME)
    except OSError:
        return None
    for answer in answers:
        if "." in answer[3]:
            return answer[3]
    return None


def psutil_readings() -> dict[str, Any]:
    """Return what psutil knows of this host as plain JSON data."""
    import psutil

    readings: dict[str, Any] = {}
    probes: dict[str, Callable[[], Any]] = {
        "boot_time": psutil.boot_time,
        "cpu_logical": psutil.cpu_count,
        "cpu_physical": lambda: psutil.cpu_count(logical=False),
        "memory_total": lambda: psutil.virtual_memory().total,
        "partitions": _partitions,
        "nics": _nics,
        "battery": _battery,
    }
    for name, probe in probes.items():
        try:
            readings[name] = probe()
        except (OSError, RuntimeError, AttributeError, NotImplementedError) as exc:
            # Left out rather than set to None: None is a reading ("no battery").
            logger.warning("psutil could not read %s: %s; it is absent", name, exc)
    return readings


def _partitions() -> list[dict[str, Any]]:
    import psutil

    rows = []
    for part in psutil.disk_partitions(all=False):
        row: dict[str, Any] = {
            "device": part.device,
            "mountpoint": part.mountpoint,
            "fstype": part.fstype,
        }
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError as exc:
            logger.debug("no usage for %s: %s", part.mountpoint, exc)
        else:
            row.update(total=usage.total, used=usage.used)
        rows.append(row)
    return rows


def _nics() -> dict[str, Any]:
    import psutil

    families = {socket.AF_INET: "inet", socket.AF_INET6: "inet6", psutil.AF_LINK: "link"}
    stats = psutil.net_if_stats()
    nics: dict[str, Any] = {}
    for name, addresses in psutil.net_if_addrs().items():
        stat = stats.get(name)
        nics[name] = {
            "isup": stat.isup if stat else None,
            "speed_mbps": stat.speed if stat else None,
            "addresses": [
                {"family": families[a.family], "address": a.address}
                for a in addresses
                if a.family in families
            ],
        }
    return nics


def _battery() -> dict[str, Any] | None:
    import psutil

    battery = psutil.sensors_battery()
    if battery is None:
        return None
    return {"percent": battery.percent, "power_plugged": battery.power_plugged}
