"""A small district built through ingest, staff status changes and requirements.

Two schools; the storm came on 2026-11-01, so the baseline is 2026-10-31;
the reports are read at AS_OF, with the default 7-day freshness window
(seen since 2026-11-05 08:00). What each asset is there for:

north-es (Northside Elementary)
  workstation lab (3, >= 8 GiB, windows): ws-n1, ws-n2 (7.7 GiB) usable;
      ws-n5 damaged; ws-n6 active but not seen since 2026-11-03 (missing)
  workstation classrooms (4): ws-n3 (Ubuntu, new), ws-n4 (4 GiB), ws-n7
      (nmap only, memory unknown) usable
  access_point (2): ap-n1 usable, ap-n2 marked missing, ap-n3 in repair
  ups (1): ups-n1 usable, ups-n2 surplus
  plus an ARP-only device of unknown kind and a printer nobody asked for
south-es (Southside Elementary)
  workstation (2, >= 4 cores): ws-s1 usable, ws-s2 (2 cores) below spec,
      ws-s3 (cores unknown) spec unknown; ws-s4 retired
  printer (1): none
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from muster.cmdb.db import Database
from muster.cmdb.ingest import ingest
from muster.cmdb.models import Asset
from muster.cmdb.observation import Observation
from muster.cmdb.requirements import RequirementSpec, add_requirement
from muster.cmdb.sites import upsert_site
from muster.cmdb.status import Status, mark_missing, set_status
from tests.factories import T0, observation

GIB = 1024**3
BASELINE = date(2026, 10, 31)
BEFORE = datetime(2026, 10, 30, 9, 0, tzinfo=UTC) - T0
DAY = timedelta(days=1)
AS_OF = T0 + 10 * DAY


def _ws(name: str, site: str, at: timedelta, os: str, gib: float, cores: int) -> Observation:
    attributes: dict[str, Any] = {
        "kind": "workstation",
        "vendor": "Dell Inc.",
        "os_name": os,
        "memory_bytes": int(gib * GIB),
        "cpu_cores": cores,
    }
    return observation(
        "agent", at=at, site=site, serial=f"SN-{name}", hostname=name, attributes=attributes
    )


def _device(name: str, kind: str, at: timedelta, mac: str, site: str = "north-es") -> Observation:
    attributes = {"kind": kind, "vendor": "Ubiquiti Inc."}
    return observation("snmp", at=at, site=site, macs=[mac], hostname=name, attributes=attributes)


def _observations() -> list[Observation]:
    day = DAY
    north = [
        _ws("ws-n1", "north-es", BEFORE, "Windows 11 Pro", 16, 4),
        _ws("ws-n1", "north-es", 9 * day, "Windows 11 Pro", 16, 4),
        _ws("ws-n2", "north-es", BEFORE, "Windows 10 Pro", 7.7, 4),
        _ws("ws-n2", "north-es", 8 * day, "Windows 10 Pro", 7.7, 4),
        _ws("ws-n3", "north-es", 5 * day, "Ubuntu 24.04 LTS", 16, 8),
        _ws("ws-n4", "north-es", BEFORE, "Windows 11 Pro", 4, 2),
        _ws("ws-n4", "north-es", 9 * day, "Windows 11 Pro", 4, 2),
        _ws("ws-n5", "north-es", BEFORE, "Windows 11 Pro", 16, 4),
        _ws("ws-n5", "north-es", 1 * day, "Windows 11 Pro", 16, 4),
        _ws("ws-n6", "north-es", BEFORE, "Windows 11 Pro", 8, 4),
        _ws("ws-n6", "north-es", 1 * day, "Windows 11 Pro", 8, 4),
        observation("nmap", at=9 * day, site="north-es", macs=["00:1b:21:00:00:07"],
                    hostname="ws-n7", attributes={"kind": "workstation"}),
        _device("ap-n1", "access_point", BEFORE, "24:5a:4c:00:00:01"),
        _device("ap-n1", "access_point", 9 * day, "24:5a:4c:00:00:01"),
        _device("ap-n2", "access_point", BEFORE, "24:5a:4c:00:00:02"),
        _device("ap-n3", "access_point", BEFORE, "24:5a:4c:00:00:03"),
        _device("ap-n3", "access_point", 2 * day, "24:5a:4c:00:00:03"),
        _device("ups-n1", "ups", BEFORE, "00:c0:b7:00:00:01"),
        _device("ups-n1", "ups", 9 * day, "00:c0:b7:00:00:01"),
        _device("ups-n2", "ups", 9 * day, "00:c0:b7:00:00:02"),
        _device("prn-n1", "printer", BEFORE, "3c:d9:2b:00:00:01"),
        _device("prn-n1", "printer", 9 * day, "3c:d9:2b:00:00:01"),
        observation("arp", at=9 * day, site="north-es", macs=["f8:b1:56:00:00:99"]),
    ]  # fmt: skip
    south = [
        _ws("ws-s1", "south-es", 9 * day, "Windows 11 Pro", 8, 8),
        _ws("ws-s2", "south-es", 9 * day, "Windows 11 Pro", 8, 2),
        observation("nmap", at=9 * day, site="south-es", macs=["00:1b:21:00:00:13"],
                    hostname="ws-s3", attributes={"kind": "workstation"}),
        _ws("ws-s4", "south-es", BEFORE, "Windows 7", 2, 2),
    ]  # fmt: skip
    return north + south


def _requirements() -> list[tuple[str, RequirementSpec]]:
    def spec(**values: Any) -> RequirementSpec:
        return RequirementSpec.model_validate(values)

    return [
        ("north-es", spec(kind="workstation", count=3, label="lab", min_memory_gb=8,
                          os_family="windows")),
        ("north-es", spec(kind="workstation", count=4, label="classrooms")),
        ("north-es", spec(kind="access_point", count=2)),
        ("north-es", spec(kind="ups", count=1)),
        ("south-es", spec(kind="workstation", count=2, min_cores=4)),
        ("south-es", spec(kind="printer", count=1)),
    ]  # fmt: skip


def build_district(database: Database) -> dict[str, int]:
    """Load the district; return asset ids by host name ('unknown' for the ARP device)."""
    with database.session(writer=True) as session:
        upsert_site(session, "north-es", name="Northside Elementary", subnets=["10.10.0.0/22"])
        upsert_site(session, "south-es", name="Southside Elementary", subnets=["10.20.0.0/22"])
        for site, spec in _requirements():
            add_requirement(session, site, spec)
    with database.session(writer=True) as session:
        ingest(session, _observations())
    with database.session(writer=True) as session:
        ids = {a.hostname or "unknown": a for a in session.scalars(select(Asset))}
        set_status(session, ids["ws-n5"], Status.DAMAGED, note="roof leak", at=T0 + 1.5 * DAY)
        set_status(session, ids["ap-n3"], Status.IN_REPAIR, at=T0 + 3 * DAY)
        set_status(session, ids["ws-s4"], Status.RETIRED, at=T0)
        mark_missing(session, now=T0, after=timedelta(days=2))
        return {name: asset.id for name, asset in ids.items()}
