"""From a Snapshot to the host's facts: each fact from the best source that has it.

On Linux the files, ``ip`` and the package databases come first, psutil fills
in what they do not say (memory, boot time, link speeds, filesystems). On
other systems psutil is the only source for now, and every fact it does not
cover stays absent.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from muster.agent.capture import DMI_DIR
from muster.agent.facts import HostFacts, InterfaceFacts, PackageFacts
from muster.agent.parse.network import (
    parse_ip_addr,
    parse_proc_ipv6_route,
    parse_proc_route,
    parse_psutil_nics,
    psutil_speeds,
)
from muster.agent.parse.packages import parse_dpkg_status, parse_rpm_query
from muster.agent.parse.storage import parse_block_devices, parse_partitions
from muster.agent.parse.system import (
    CHASSIS_TYPES,
    detect_virtualization,
    parse_cpuinfo,
    parse_dmi,
    parse_machine_id,
    parse_os_release,
)
from muster.agent.snapshot import Snapshot


def gather_facts(snapshot: Snapshot) -> HostFacts:
    """Parse everything a Snapshot holds into the host's facts."""
    readings = snapshot.psutil or {}
    files = snapshot.files
    dmi = parse_dmi(snapshot.files_under(DMI_DIR))
    cpuinfo = snapshot.file("/proc/cpuinfo")
    cpu = parse_cpuinfo(cpuinfo) if cpuinfo is not None else None
    virtual, hypervisor = detect_virtualization(files, dmi, cpu)
    os_name, os_version = _os(snapshot)
    hostname = snapshot.platform.get("hostname")
    machine_id = _first(snapshot, "/etc/machine-id", "/var/lib/dbus/machine-id")
    boot_time = readings.get("boot_time")
    return HostFacts(
        hostname=hostname.partition(".")[0] if hostname else None,
        fqdn=snapshot.platform.get("fqdn"),
        machine_id=parse_machine_id(machine_id) if machine_id else None,
        os_name=os_name,
        os_version=os_version,
        os_kernel=_kernel(snapshot),
        arch=snapshot.platform.get("machine") or None,
        system_vendor=dmi.vendor if dmi else None,
        system_model=dmi.model if dmi else None,
        serial=dmi.serial if dmi else None,
        system_uuid=dmi.system_uuid if dmi else None,
        chassis_type=dmi.chassis_type if dmi else None,
        chassis=CHASSIS_TYPES.get(dmi.chassis_type) if dmi and dmi.chassis_type else None,
        firmware_version=dmi.firmware_version if dmi else None,
        firmware_date=dmi.firmware_date if dmi else None,
        virtual=virtual,
        hypervisor=hypervisor,
        cpu_model=cpu.model if cpu else None,
        cpu_sockets=cpu.sockets if cpu else None,
        cpu_cores=readings.get("cpu_physical") or (cpu.cores if cpu else None),
        cpu_threads=readings.get("cpu_logical") or (cpu.threads if cpu else None),
        memory_bytes=readings.get("memory_total"),
        boot_time=datetime.fromtimestamp(int(boot_time), UTC) if boot_time else None,
        battery_present=(readings["battery"] is not None) if "battery" in readings else None,
        default_gateway=_parsed(snapshot, "/proc/net/route", parse_proc_route),
        default_gateway_ipv6=_parsed(snapshot, "/proc/net/ipv6_route", parse_proc_ipv6_route),
        interfaces=_interfaces(snapshot, readings),
        disks=_disks(snapshot),
        filesystems=_filesystems(readings),
        packages=_packages(snapshot),
    )


def _first(snapshot: Snapshot, *paths: str) -> str | None:
    return next((text for p in paths if (text := snapshot.file(p)) is not None), None)


def _os(snapshot: Snapshot) -> tuple[str | None, str | None]:
    platform = snapshot.platform
    text = _first(snapshot, "/etc/os-release", "/usr/lib/os-release")
    if text is not None:
        release = parse_os_release(text)
        return release.get("NAME"), release.get("VERSION_ID") or release.get("VERSION")
    if platform.get("system") == "Windows":
        edition = platform.get("windows_edition")
        name = " ".join(p for p in ("Windows", platform.get("release"), edition) if p)
        return name, platform.get("version")
    if platform.get("system") == "Darwin":
        return "macOS", platform.get("mac_version")
    return platform.get("system"), None


def _kernel(snapshot: Snapshot) -> str | None:
    if snapshot.platform.get("system") in ("Linux", "Darwin"):
        return snapshot.platform.get("release") or None
    return None


def _parsed(snapshot: Snapshot, path: str, parse: Callable[[str], str | None]) -> str | None:
    text = snapshot.file(path)
    return parse(text) if text is not None else None


def _interfaces(snapshot: Snapshot, readings: dict[str, Any]) -> tuple[InterfaceFacts, ...] | None:
    nics = readings.get("nics")
    text = snapshot.commands.get("ip-addr")
    if text is not None:
        return tuple(parse_ip_addr(text, psutil_speeds(nics)))
    if nics is not None:
        return tuple(parse_psutil_nics(nics))
    return None


def _disks(snapshot: Snapshot) -> tuple[Any, ...] | None:
    block = snapshot.files_under("/sys/block")
    if not block:
        return None
    return tuple(parse_block_devices(block, snapshot.files_under("/run/udev/data")))


def _filesystems(readings: dict[str, Any]) -> tuple[Any, ...] | None:
    partitions = readings.get("partitions")
    return tuple(parse_partitions(partitions)) if partitions is not None else None


def _packages(snapshot: Snapshot) -> tuple[PackageFacts, ...] | None:
    dpkg = snapshot.file("/var/lib/dpkg/status")
    rpm = snapshot.commands.get("rpm")
    if dpkg is None and rpm is None:
        return None
    packages = parse_dpkg_status(dpkg) if dpkg is not None else []
    packages += parse_rpm_query(rpm) if rpm is not None else []
    return tuple(packages)
