"""The facts the agent reports, each declared once: name, type, unit and meaning.

In the manner of osquery's table specs, facts come in tables: ``host`` has one
row, ``interfaces``, ``disks``, ``filesystems`` and ``packages`` one row per
item. Each table is a frozen dataclass whose fields are declared with
:func:`fact`; the collectors fill them, the Observation is built from them, and
``muster agent facts`` prints the same declarations as the reference. A fact
that could not be read is None ("absent"), never a guess.
"""

# fact() returns a dataclasses.field, which ruff cannot see through.
# ruff: noqa: RUF009

import types
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from typing import Any, Literal

LinkStatus = Literal["up", "down", "unknown"]
DiskMedia = Literal["hdd", "ssd", "nvme", "virtual", "removable", "unknown"]
PackageManager = Literal["dpkg", "rpm"]


def fact(description: str, *, unit: str | None = None, required: bool = False) -> Any:
    """Declare one fact of a table: what it means and the unit its number is in."""
    metadata = {"description": description, "unit": unit}
    if required:
        return field(metadata=metadata)
    return field(default=None, metadata=metadata)


@dataclass(frozen=True, slots=True, kw_only=True)
class InterfaceFacts:
    """Network interfaces of the host, loopback left out."""

    name: str = fact("Interface name as the OS calls it, e.g. eth0.", required=True)
    mac: str | None = fact("Hardware (MAC) address, lower-case colon notation.")
    addresses: tuple[str, ...] = fact("IPv4 and IPv6 addresses assigned to it.", required=True)
    speed_bps: int | None = fact("Negotiated link speed.", unit="bits/s")
    oper_status: LinkStatus | None = fact("Whether the link carries traffic.")
    admin_status: LinkStatus | None = fact("Whether the interface is switched on (IFF_UP).")


@dataclass(frozen=True, slots=True, kw_only=True)
class DiskFacts:
    """Physical disks (whole devices, not partitions, loop or RAM devices)."""

    name: str = fact("Kernel device name, e.g. sda or nvme0n1.", required=True)
    model: str | None = fact("Model as the drive reports it.")
    serial: str | None = fact("Serial number as the drive reports it.")
    size_bytes: int | None = fact("Capacity.", unit="bytes")
    media: DiskMedia | None = fact("Kind of drive.")


@dataclass(frozen=True, slots=True, kw_only=True)
class FilesystemFacts:
    """Mounted filesystems on local devices, with their size and use."""

    mountpoint: str = fact("Where it is mounted.", required=True)
    device: str | None = fact("Device it lives on, e.g. /dev/sda1.")
    fstype: str | None = fact("Filesystem type, e.g. ext4 or NTFS.")
    size_bytes: int | None = fact("Total size.", unit="bytes")
    used_bytes: int | None = fact("Space in use.", unit="bytes")


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageFacts:
    """Installed software packages from the dpkg and rpm databases."""

    name: str = fact("Package name.", required=True)
    version: str | None = fact("Installed version, with release (and epoch when set).")
    arch: str | None = fact("Architecture the package was built for.")
    vendor: str | None = fact("Vendor the package database names (rpm only).")
    manager: PackageManager = fact("Database it was read from: dpkg or rpm.", required=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class HostFacts:
    """The machine the agent runs on: identity, make, OS, CPU and memory."""

    hostname: str | None = fact("Host name without domain.")
    fqdn: str | None = fact("Fully qualified domain name, when the resolver knows one.")
    machine_id: str | None = fact("OS installation ID (/etc/machine-id).")
    os_name: str | None = fact("Operating system name, e.g. Debian GNU/Linux.")
    os_version: str | None = fact("Operating system version, e.g. 12.")
    os_kernel: str | None = fact("Kernel release, e.g. 6.1.0-18-amd64.")
    arch: str | None = fact("Machine architecture, e.g. x86_64.")
    system_vendor: str | None = fact("Maker of the machine (DMI sys_vendor).")
    system_model: str | None = fact("Model of the machine (DMI product name).")
    serial: str | None = fact("Serial number of the machine (DMI product_serial; root only).")
    system_uuid: str | None = fact("SMBIOS system UUID (DMI product_uuid; root only).")
    chassis_type: int | None = fact("SMBIOS chassis type code, e.g. 10 for a notebook.")
    chassis: str | None = fact("SMBIOS chassis type in words, e.g. Notebook.")
    firmware_version: str | None = fact("BIOS or UEFI firmware version.")
    firmware_date: date | None = fact("Firmware release date.")
    virtual: bool | None = fact("True when the OS runs in a virtual machine or container.")
    hypervisor: str | None = fact(
        "Hypervisor or container runtime, in systemd-detect-virt's words."
    )
    cpu_model: str | None = fact("Processor model name.")
    cpu_sockets: int | None = fact("Populated processor sockets.")
    cpu_cores: int | None = fact("Physical cores, all sockets.")
    cpu_threads: int | None = fact("Logical processors, all sockets.")
    memory_bytes: int | None = fact("Memory the OS can use (MemTotal).", unit="bytes")
    boot_time: datetime | None = fact("When the OS last started, UTC.")
    battery_present: bool | None = fact("True when the host has a battery (a portable).")
    default_gateway: str | None = fact("IPv4 default gateway.")
    default_gateway_ipv6: str | None = fact("IPv6 default gateway.")
    interfaces: tuple[InterfaceFacts, ...] | None = fact("Rows of the interfaces table.")
    disks: tuple[DiskFacts, ...] | None = fact("Rows of the disks table.")
    filesystems: tuple[FilesystemFacts, ...] | None = fact("Rows of the filesystems table.")
    packages: tuple[PackageFacts, ...] | None = fact("Rows of the packages table.")


TABLES: dict[str, type] = {
    "host": HostFacts,
    "interfaces": InterfaceFacts,
    "disks": DiskFacts,
    "filesystems": FilesystemFacts,
    "packages": PackageFacts,
}


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact as the reference shows it."""

    table: str
    name: str
    type: str
    unit: str | None
    description: str


def fact_specs() -> list[FactSpec]:
    """Return every declared fact, table by table, in declaration order."""
    specs = []
    for table, cls in TABLES.items():
        hints = typing.get_type_hints(cls)
        for item in fields(cls):
            specs.append(
                FactSpec(
                    table=table,
                    name=item.name,
                    type=type_name(hints[item.name]),
                    unit=item.metadata["unit"],
                    description=item.metadata["description"],
                )
            )
    return specs


_SCALARS: dict[object, str] = {
    str: "text",
    int: "integer",
    bool: "boolean",
    float: "real",
    date: "date",
    datetime: "timestamp",
}


def type_name(annotation: object) -> str:
    """Say a fact's type in the reference's words, e.g. ``text`` or ``list of text``."""
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    origin = typing.get_origin(annotation)
    arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        return type_name(arguments[0])
    if origin is Literal:
        return "text (" + ", ".join(str(a) for a in arguments) + ")"
    if origin is tuple:
        item = arguments[0]
        if is_dataclass(item):
            table = next(name for name, cls in TABLES.items() if cls is item)
            return f"table {table}"
        return f"list of {type_name(item)}"
    raise TypeError(f"fact type {annotation!r} has no name in the reference")
