"""Recorded SNMP walks for the lab's simulated devices, copied and fitted to the lab.

Walks come from Debian's snmpsim package (a Cisco Catalyst 3750, an HP
ProCurve 2810) and from the PyPI package snmpsim-data (UPSs, access points,
cameras). A walk is copied into the lab's data folder (snmpsim reads copies,
never links), decompressed, and fitted to the lab: its ARP caches
(ipNetToMediaTable, ipNetToPhysicalTable) are dropped, since they list hosts
of the network it was recorded on, and its bridge forwarding table
(dot1dTpFdbTable) is replaced by the lab hosts' MACs on the ports the lab
wires them to, so a sweep can locate each host on its switch (with
dot1dBaseNumPorts, counted from the recorded port table, where a trimmed
recording left that scalar out). Everything else is the device's recording
as it was.
"""

import bz2
import gzip
from importlib import util
from pathlib import Path

from muster.cmdb.errors import ConfigurationError

DEBIAN_WALKS = Path("/usr/share/doc/snmpsim/examples/data")
FDB_TABLE = "1.3.6.1.2.1.17.4.3.1"
BASE_NUM_PORTS = "1.3.6.1.2.1.17.1.2.0"
BASE_PORT_IF_INDEX = "1.3.6.1.2.1.17.1.4.1.2."
# ipNetToMediaTable and ipNetToPhysicalTable: the recorded network's hosts.
FOREIGN_TABLES = ("1.3.6.1.2.1.4.22.", "1.3.6.1.2.1.4.35.")


def walk_source(name: str) -> Path:
    """Find a walk by name: ``debian:cisco_16_switch`` or ``pypi:UPS/apc-8641``."""
    origin, _, stem = name.partition(":")
    if origin == "debian":
        folder = DEBIAN_WALKS
        hint = "install Debian's snmpsim package (scripts/setup --test does)"
    elif origin == "pypi":
        spec = util.find_spec("snmpsim_data")
        if spec is None or spec.origin is None:
            raise ConfigurationError(
                "the snmpsim-data package is not installed: run scripts/setup --test"
            )
        folder = Path(spec.origin).parent / "data"
        hint = "the snmpsim-data package has no such walk"
    else:
        raise ConfigurationError(f"walk {name!r} is not known: use debian:NAME or pypi:PATH")
    for suffix in (".snmprec", ".snmprec.gz", ".snmprec.bz2"):
        candidate = folder / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    raise ConfigurationError(f"walk {name!r} not found in {folder}: {hint}")


def read_walk(path: Path) -> list[str]:
    """Return a walk's records, decompressing as needed."""
    if path.suffix == ".gz":
        text = gzip.decompress(path.read_bytes()).decode("latin-1")
    elif path.suffix == ".bz2":
        text = bz2.decompress(path.read_bytes()).decode("latin-1")
    else:
        text = path.read_text(encoding="latin-1")
    return [line for line in text.splitlines() if line.strip()]


def _oid_key(record: str) -> tuple[int, ...]:
    oid = record.split("|", 1)[0]
    return tuple(int(part) for part in oid.split(".") if part.isdigit())


def fdb_records(fdb: dict[str, int]) -> list[str]:
    """Return dot1dTpFdbTable records placing each MAC on a bridge port (learned)."""
    records = []
    for mac, port in fdb.items():
        octets = [int(part, 16) for part in mac.split(":")]
        index = ".".join(str(o) for o in octets)
        records += [
            f"{FDB_TABLE}.1.{index}|4x|{''.join(f'{o:02x}' for o in octets)}",
            f"{FDB_TABLE}.2.{index}|2|{port}",
            f"{FDB_TABLE}.3.{index}|2|3",
        ]
    return records


def install_walk(
    name: str, folder: Path, community: str, *, fdb: dict[str, int] | None = None
) -> Path:
    """Copy a walk into ``folder`` as ``<community>.snmprec``, with the lab's FDB if given."""
    records = [r for r in read_walk(walk_source(name)) if not r.startswith(FOREIGN_TABLES)]
    if fdb is not None:
        records = [r for r in records if not r.startswith(FDB_TABLE + ".")]
        records += fdb_records(fdb)
        if not any(r.startswith(BASE_NUM_PORTS + "|") for r in records):
            ports = sum(1 for r in records if r.startswith(BASE_PORT_IF_INDEX))
            records.append(f"{BASE_NUM_PORTS}|2|{ports}")
    records.sort(key=_oid_key)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{community}.snmprec"
    target.write_text("\n".join(records) + "\n", encoding="latin-1")
    return target
