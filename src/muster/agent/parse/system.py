"""The machine and its OS: os-release, machine ID, /proc/cpuinfo, DMI, virtualisation."""

import logging
import re
import shlex
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from muster.cmdb.placeholders import is_placeholder_vendor

logger = logging.getLogger(__name__)

# SMBIOS 3.x, section 7.4.1: System Enclosure or Chassis Types.
CHASSIS_TYPES: dict[int, str] = {
    1: "Other",
    2: "Unknown",
    3: "Desktop",
    4: "Low Profile Desktop",
    5: "Pizza Box",
    6: "Mini Tower",
    7: "Tower",
    8: "Portable",
    9: "Laptop",
    10: "Notebook",
    11: "Hand Held",
    12: "Docking Station",
    13: "All in One",
    14: "Sub Notebook",
    15: "Space-saving",
    16: "Lunch Box",
    17: "Main Server Chassis",
    18: "Expansion Chassis",
    19: "SubChassis",
    20: "Bus Expansion Chassis",
    21: "Peripheral Chassis",
    22: "RAID Chassis",
    23: "Rack Mount Chassis",
    24: "Sealed-case PC",
    25: "Multi-system Chassis",
    26: "Compact PCI",
    27: "Advanced TCA",
    28: "Blade",
    29: "Blade Enclosure",
    30: "Tablet",
    31: "Convertible",
    32: "Detachable",
    33: "IoT Gateway",
    34: "Embedded PC",
    35: "Mini PC",
    36: "Stick PC",
}

# Words boards put where a model belongs ("System Product Name" on ASUS
# boards), beyond the vendor placeholders the CMDB knows.
_MODEL_PLACEHOLDERS = frozenset({"system product name", "system version", "default string"})

# systemd-detect-virt's names for the hypervisors DMI strings give away,
# matched at the start of sys_vendor, product_name, board_vendor or bios_vendor.
_DMI_HYPERVISORS: tuple[tuple[str, str], ...] = (
    ("KVM", "kvm"),
    ("OpenStack", "kvm"),
    ("KubeVirt", "kvm"),
    ("Amazon EC2", "amazon"),
    ("QEMU", "qemu"),
    ("VMware", "vmware"),
    ("VMW", "vmware"),
    ("innotek GmbH", "oracle"),
    ("VirtualBox", "oracle"),
    ("Xen", "xen"),
    ("Bochs", "bochs"),
    ("Parallels", "parallels"),
    ("BHYVE", "bhyve"),
    ("Hyper-V", "microsoft"),
    ("Apple Virtualization", "apple"),
    ("Google Compute Engine", "google"),
)
_MACHINE_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class Dmi:
    """What the firmware's SMBIOS tables say about the machine, cleaned of placeholders."""

    vendor: str | None
    model: str | None
    serial: str | None
    system_uuid: str | None
    chassis_type: int | None
    firmware_version: str | None
    firmware_date: date | None
    product_name: str | None
    board_vendor: str | None
    bios_vendor: str | None


@dataclass(frozen=True, slots=True)
class Cpu:
    """What /proc/cpuinfo says about the processors."""

    model: str | None
    sockets: int | None
    cores: int | None
    threads: int | None
    hypervisor_flag: bool | None


def parse_os_release(text: str) -> dict[str, str]:
    """Parse os-release(5): KEY=value lines, values shell-quoted."""
    release = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if not sep or key.startswith("#"):
            continue
        try:
            words = shlex.split(value)
        except ValueError:
            words = [value.strip("\"'")]
        release[key] = " ".join(words)
    return release


def parse_machine_id(text: str) -> str | None:
    """Return the 32-hex-digit machine ID, or None when it is unset or malformed."""
    value = text.strip().lower()
    return value if _MACHINE_ID.match(value) else None


def parse_cpuinfo(text: str) -> Cpu:
    """Count sockets, cores and threads in /proc/cpuinfo and read the model name."""
    processors = [_fields(block) for block in re.split(r"\n\s*\n", text) if block.strip()]
    processors = [p for p in processors if "processor" in p]
    model = next(
        (p[key] for p in processors for key in ("model name", "Model", "cpu model") if key in p),
        None,
    )
    packages = {p["physical id"]: p.get("cpu cores") for p in processors if "physical id" in p}
    cores = None
    if packages and all(count and count.isdigit() for count in packages.values()):
        cores = sum(int(count or 0) for count in packages.values())
    flags = [p["flags"].split() for p in processors if "flags" in p]
    return Cpu(
        model=model or None,
        sockets=len(packages) or None,
        cores=cores,
        threads=len(processors) or None,
        hypervisor_flag=("hypervisor" in flags[0]) if flags else None,
    )


def _fields(block: str) -> dict[str, str]:
    fields = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def parse_dmi(files: Mapping[str, str]) -> Dmi | None:
    """Read /sys/class/dmi/id files (by name); None when the host has no DMI at all."""
    if not files:
        return None
    value = {name: _clean(text) for name, text in files.items()}
    vendor = _make(value.get("sys_vendor"))
    model = _make(value.get("product_name"), model=True)
    version = _make(value.get("product_version"), model=True)
    # Lenovo puts the type number in product_name and the model in product_version.
    if vendor and vendor.lower().startswith("lenovo") and version:
        model = version
    return Dmi(
        vendor=vendor,
        model=model,
        serial=value.get("product_serial"),
        system_uuid=_uuid(value.get("product_uuid")),
        chassis_type=_int(value.get("chassis_type")),
        firmware_version=value.get("bios_version"),
        firmware_date=parse_firmware_date(value.get("bios_date")),
        product_name=value.get("product_name"),
        board_vendor=value.get("board_vendor"),
        bios_vendor=value.get("bios_vendor"),
    )


def _clean(text: str) -> str | None:
    return " ".join(text.split()) or None


def _make(text: str | None, *, model: bool = False) -> str | None:
    if text is None or is_placeholder_vendor(text):
        return None
    return None if model and text.lower() in _MODEL_PLACEHOLDERS else text


def _uuid(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        logger.warning("DMI product_uuid %r is not a UUID; the system UUID is absent", text)
        return None


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def parse_firmware_date(text: str | None) -> date | None:
    """Parse SMBIOS's BIOS release date, MM/DD/YYYY (or MM/DD/YY before SMBIOS 2.3)."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", text or "")
    if match is None:
        return None
    month, day, year = (int(part) for part in match.groups())
    if year < 100:
        year += 1900 if year >= 70 else 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def detect_virtualization(
    files: Mapping[str, str], dmi: Dmi | None, cpu: Cpu | None
) -> tuple[bool | None, str | None]:
    """Tell whether the OS runs virtualised and under what, as systemd-detect-virt would."""
    container = files.get("run/systemd/container")
    if container and container.strip():
        return True, container.strip()
    if "run/.containerenv" in files:
        return True, "podman"
    if ".dockerenv" in files:
        return True, "docker"
    if dmi is not None:
        hypervisor = _dmi_hypervisor(dmi)
        if hypervisor is not None:
            return True, hypervisor
    xen = files.get("sys/hypervisor/type", "").strip()
    if xen == "xen":
        return True, "xen"
    if cpu is not None and cpu.hypervisor_flag is not None:
        return (True, None) if cpu.hypervisor_flag else (False, None)
    return (False, None) if dmi is not None else (None, None)


def _dmi_hypervisor(dmi: Dmi) -> str | None:
    if dmi.vendor == "Microsoft Corporation" and dmi.product_name == "Virtual Machine":
        return "microsoft"
    if (dmi.product_name or "").endswith(".metal"):
        return None  # EC2 bare metal says "Amazon EC2" too
    for text in (dmi.vendor, dmi.product_name, dmi.board_vendor, dmi.bios_vendor):
        for prefix, name in _DMI_HYPERVISORS:
            if text and text.startswith(prefix):
                return name
    return None
