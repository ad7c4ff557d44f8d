"""Disks from /sys/block (and udev's database), filesystems from psutil."""

import re
from collections.abc import Mapping
from typing import Any

from muster.agent.facts import DiskFacts, DiskMedia, FilesystemFacts

# Block devices that are not drives: loop and RAM disks, device-mapper and md
# volumes, network block devices, optical and floppy drives, ZFS volumes.
_NOT_DISKS = ("loop", "ram", "zram", "dm-", "md", "nbd", "sr", "fd", "zd", "drbd", "rbd")
# Words in a drive's model or vendor that give away a hypervisor's virtual disk.
_VIRTUAL_DISK = re.compile(
    r"QEMU|VMware|VBOX|Virtual|Msft|Xen|Elastic Block Store|PersistentDisk", re.IGNORECASE
)
VIRTIO_VENDOR = "0x1af4"
# Filesystems that are images rather than storage: always full, never filled.
_IMAGE_FILESYSTEMS = frozenset({"squashfs"})


def parse_block_devices(block: Mapping[str, str], udev: Mapping[str, str]) -> list[DiskFacts]:
    """Return the drives among /sys/block's devices; ``block`` by ``<dev>/<attribute>``."""
    names = sorted({path.partition("/")[0] for path in block})
    disks = []
    for name in names:
        if name.startswith(_NOT_DISKS):
            continue
        attribute = {
            path.partition("/")[2]: text.strip()
            for path, text in block.items()
            if path.partition("/")[0] == name
        }
        sectors = attribute.get("size", "")
        size = int(sectors) * 512 if sectors.isdigit() else None
        if size == 0:
            continue  # a card reader or CD drive with nothing in it
        properties = _udev_properties(udev.get(f"b{attribute.get('dev', '')}", ""))
        model = _model(attribute, properties)
        disks.append(
            DiskFacts(
                name=name,
                model=model,
                serial=attribute.get("device/serial")
                or attribute.get("serial")
                or properties.get("ID_SERIAL_SHORT")
                or None,
                size_bytes=size,
                media=_media(name, model, attribute),
            )
        )
    return disks


def _udev_properties(text: str) -> dict[str, str]:
    properties = {}
    for line in text.splitlines():
        if line.startswith("E:"):
            key, _, value = line[2:].partition("=")
            properties[key] = value
    return properties


def _model(attribute: dict[str, str], properties: dict[str, str]) -> str | None:
    # The SCSI layer cuts ATA models to 16 characters; udev keeps the whole one.
    encoded = properties.get("ID_MODEL_ENC")
    if encoded:
        decoded = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), encoded)
        return " ".join(decoded.split()) or None
    return " ".join(attribute.get("device/model", "").split()) or None


def _media(name: str, model: str | None, attribute: dict[str, str]) -> DiskMedia:
    vendor = attribute.get("device/vendor", "")
    if (
        name.startswith(("vd", "xvd"))
        or vendor == VIRTIO_VENDOR
        or _VIRTUAL_DISK.search(f"{vendor} {model or ''}")
    ):
        return "virtual"
    if name.startswith("nvme"):
        return "nvme"
    if attribute.get("removable") == "1":
        return "removable"
    rotational = attribute.get("queue/rotational")
    if rotational == "1":
        return "hdd"
    if rotational == "0":
        return "ssd"
    return "unknown"


def parse_partitions(partitions: list[dict[str, Any]]) -> list[FilesystemFacts]:
    """Turn psutil's mounted partitions (with usage, as captured) into filesystems.

    A filesystem mounted more than once (bind mounts) is listed once, at its
    shortest mount point, so that its space is not counted twice.
    """
    filesystems: dict[str, FilesystemFacts] = {}
    for part in sorted(partitions, key=lambda p: (len(p["mountpoint"]), p["mountpoint"])):
        device = part.get("device") or None
        same = device if device and device.startswith("/dev/") else part["mountpoint"]
        if part.get("fstype") in _IMAGE_FILESYSTEMS or same in filesystems:
            continue
        filesystems[same] = FilesystemFacts(
            mountpoint=part["mountpoint"],
            device=device,
            fstype=part.get("fstype") or None,
            size_bytes=part.get("total"),
            used_bytes=part.get("used"),
        )
    return sorted(filesystems.values(), key=lambda f: f.mountpoint)
