"""Loading a batch's working set from the CMDB and writing it back in bulk.

Reconciliation decides in memory (``reconcile``); this module is the only
part of ingest that speaks SQL. Reads fetch every asset a batch's usable
identifiers reach, with all of those assets' identifiers; writes go out as
one executemany per table and kind of statement, in an order that keeps
foreign keys and the unique index on usable identifiers valid at every step.
"""

import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update

from muster.cmdb.models import (
    Asset,
    AssetSource,
    Base,
    Change,
    Conflict,
    Disk,
    Filesystem,
    Identifier,
    Interface,
    Observation,
    Service,
    Site,
    Software,
    Subnet,
    TicketLink,
)
from muster.cmdb.reconcile import Prepared
from muster.cmdb.state import AssetState, IdentifierState, WorkingSet

_IN_CHUNK = 500
_TABLES = Base.metadata.tables
_ASSET = _TABLES[Asset.__tablename__]
_IDENTIFIER = _TABLES[Identifier.__tablename__]
_ASSET_SOURCE = _TABLES[AssetSource.__tablename__]
_OBSERVATION = _TABLES[Observation.__tablename__]
_CHANGE = _TABLES[Change.__tablename__]
_CONFLICT = _TABLES[Conflict.__tablename__]
_TICKET_LINK = _TABLES[TicketLink.__tablename__]
CHILD_TABLES = {
    "interfaces": _TABLES[Interface.__tablename__],
    "services": _TABLES[Service.__tablename__],
    "software": _TABLES[Software.__tablename__],
    "disks": _TABLES[Disk.__tablename__],
    "filesystems": _TABLES[Filesystem.__tablename__],
}
# Columns of the asset row that ingest keeps in AssetState.values.
VALUE_COLUMNS = tuple(
    c.name for c in _ASSET.columns if c.name not in ("id", "first_seen", "last_seen", "provenance")
)


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class SiteDirectory:
    """Sites by code and by address, for Observations that name no site."""

    by_code: dict[str, int] = field(default_factory=dict)
    code_by_id: dict[int, str] = field(default_factory=dict)
    # prefix length -> {network address as int: site id}, per IP version, longest first
    _networks: dict[int, list[tuple[int, dict[int, int]]]] = field(default_factory=dict)

    @classmethod
    def load(cls, connection: Connection) -> "SiteDirectory":
        """Read every site and subnet."""
        directory = cls()
        for site_id, code in connection.execute(select(Site.id, Site.code)):
            directory.by_code[code] = site_id
            directory.code_by_id[site_id] = code
        by_length: dict[tuple[int, int], dict[int, int]] = {}
        for site_id, cidr in connection.execute(select(Subnet.site_id, Subnet.cidr)):
            network = ipaddress.ip_network(cidr, strict=False)
            table = by_length.setdefault((network.version, network.prefixlen), {})
            table.setdefault(int(network.network_address), site_id)
        for (version, length), table in sorted(by_length.items(), key=lambda i: -i[0][1]):
            directory._networks.setdefault(version, []).append((length, table))
        return directory

    def site_of_address(self, address: str) -> int | None:
        """Return the site whose most specific subnet holds an address."""
        ip = ipaddress.ip_address(address)
        bits = ip.max_prefixlen
        value = int(ip)
        for length, table in self._networks.get(ip.version, []):
            network = value >> (bits - length) << (bits - length)
            if network in table:
                return table[network]
        return None


class AssetIdAllocator:
    """Hands out asset ids before rows are written, so explanations name real ids.

    Ingest holds the write lock (SQLite) or the ingest advisory lock
    (PostgreSQL) while it allocates, so no other writer takes the same id.
    """

    _BLOCK = 64

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._postgres = connection.dialect.name == "postgresql"
        self._pending: list[int] = []
        self._next = 0
        if not self._postgres:
            highest = connection.execute(select(func.max(Asset.id))).scalar() or 0
            sequence = connection.execute(
                text("SELECT seq FROM sqlite_sequence WHERE name = 'asset'")
            ).scalar()
            self._next = max(highest, sequence or 0) + 1

    def __call__(self) -> int:
        if not self._postgres:
            self._next += 1
            return self._next - 1
        if not self._pending:
            rows = self._connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('asset', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": self._BLOCK},
            )
            self._pending = sorted((r[0] for r in rows), reverse=True)
        return self._pending.pop()


def known_hashes(connection: Connection, hashes: Sequence[str]) -> dict[str, int | None]:
    """Map content hashes already stored to the asset their Observation belongs to."""
    found: dict[str, int | None] = {}
    for chunk in _chunks(hashes):
        query = select(Observation.content_hash, Observation.asset_id).where(
            Observation.content_hash.in_(chunk)
        )
        found.update({row[0]: row[1] for row in connection.execute(query)})
    return found


def load_working_set(connection: Connection, batch: Sequence[Prepared]) -> WorkingSet:
    """Read every asset the batch's usable identifiers reach, with all their identifiers."""
    ws = WorkingSet()
    wanted: dict[str, set[str]] = {}
    for prepared in batch:
        for claim in prepared.claims:
            if claim.usable:
                wanted.setdefault(claim.rule.label, set()).add(claim.value)
    asset_ids: set[int] = set()
    for kind, values in wanted.items():
        for chunk in _chunks(sorted(values)):
            query = select(_IDENTIFIER.c.asset_id).where(
                _IDENTIFIER.c.type == kind, _IDENTIFIER.c.value.in_(chunk)
            )
            asset_ids.update(row[0] for row in connection.execute(query))
    ordered = sorted(asset_ids)
    for chunk in _chunks(ordered):
        for row in connection.execute(select(_ASSET).where(_ASSET.c.id.in_(chunk))).mappings():
            ws.assets[row["id"]] = _asset_state(row)
    for chunk in _chunks(ordered):
        query = select(_IDENTIFIER).where(_IDENTIFIER.c.asset_id.in_(chunk))
        for row in connection.execute(query).mappings():
            _load_identifier(ws, row)
        sources = select(_ASSET_SOURCE).where(_ASSET_SOURCE.c.asset_id.in_(chunk))
        for row in connection.execute(sources).mappings():
            asset = ws.assets[row["asset_id"]]
            asset.seen_by[row["source"]] = [row["first_seen"], row["last_seen"]]
            asset.seen_in_db.add(row["source"])
    all_values = sorted({v for vs in wanted.values() for v in vs})
    for chunk in _chunks(all_values):
        query = select(Conflict.kind, Conflict.identifier_type, Conflict.identifier_value).where(
            Conflict.status == "open", Conflict.identifier_value.in_(chunk)
        )
        ws.open_conflicts.update((k, t, v) for k, t, v in connection.execute(query))
    return ws


def _asset_state(row: Any) -> AssetState:
    return AssetState(
        id=row["id"],
        label=f"#{row['id']}",
        values={name: row[name] for name in VALUE_COLUMNS},
        provenance=dict(row["provenance"] or {}),
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
    )


def _load_identifier(ws: WorkingSet, row: Any) -> None:
    asset = ws.assets[row["asset_id"]]
    identifier = IdentifierState(
        type=row["type"],
        scope=row["scope"],
        value=row["value"],
        asset=asset,
        usable=row["usable"],
        shared=row["shared"],
        note=row["note"],
        source=row["source"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        id=row["id"],
    )
    asset.identifiers.append(identifier)
    ws.index(identifier)


def flush(connection: Connection, ws: WorkingSet) -> dict[int, int]:
    """Write the working set back; return observation ids by position in the batch."""
    live_new = [a for a in ws.new_assets if a.merged_into is None]
    if live_new:
        connection.execute(insert(_ASSET), [_asset_row(a) for a in live_new])
    dirty = [a for a in ws.assets.values() if a.dirty and a.merged_into is None]
    if dirty:
        statement = update(_ASSET).where(_ASSET.c.id == bindparam("b_id"))
        connection.execute(statement, [_asset_row(a, key="b_id") for a in dirty])
    _flush_identifiers(connection, ws)
    _flush_sources(connection, ws)
    observation_ids = _flush_observations(connection, ws)
    _flush_children(connection, ws)
    _flush_merges(connection, ws)
    _flush_history(connection, ws, observation_ids)
    return observation_ids


def _asset_row(asset: AssetState, key: str = "id") -> dict[str, Any]:
    row = {name: asset.values.get(name) for name in VALUE_COLUMNS}
    row.update(
        {
            key: asset.id,
            "first_seen": asset.first_seen,
            "last_seen": asset.last_seen,
            "provenance": asset.provenance,
        }
    )
    return row


def _identifier_row(identifier: IdentifierState, key: str = "id") -> dict[str, Any]:
    return {
        key: identifier.id,
        "asset_id": identifier.asset.live().id,
        "type": identifier.type,
        "scope": identifier.scope,
        "value": identifier.value,
        "usable": identifier.usable,
        "shared": identifier.shared,
        "note": identifier.note,
        "source": identifier.source,
        "first_seen": identifier.first_seen,
        "last_seen": identifier.last_seen,
    }


def _flush_identifiers(connection: Connection, ws: WorkingSet) -> None:
    dropped = [i.id for i in ws.dropped_identifiers if i.id is not None]
    for chunk in _chunks(dropped):
        connection.execute(delete(_IDENTIFIER).where(_IDENTIFIER.c.id.in_(chunk)))
    dropped_ids = set(dropped)
    unique_dirty = [
        i
        for asset in _live_assets(ws)
        for i in asset.identifiers
        if i.dirty and not i.new and i.id not in dropped_ids
    ]
    if unique_dirty:
        statement = update(_IDENTIFIER).where(_IDENTIFIER.c.id == bindparam("b_id"))
        rows = [_identifier_row(i, key="b_id") for i in unique_dirty]
        for row in rows:
            del row["type"], row["value"]
        connection.execute(statement, rows)
    if ws.new_identifiers:
        rows = [_identifier_row(i) for i in ws.new_identifiers]
        for row in rows:
            del row["id"]
        connection.execute(insert(_IDENTIFIER), rows)


def _flush_sources(connection: Connection, ws: WorkingSet) -> None:
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for asset in _live_assets(ws):
        for source in sorted(asset.seen_dirty):
            first, last = asset.seen_by[source]
            row = {"first_seen": first, "last_seen": last}
            if source in asset.seen_in_db:
                updates.append({**row, "b_asset_id": asset.id, "b_source": source})
            else:
                inserts.append({**row, "asset_id": asset.id, "source": source})
    if inserts:
        connection.execute(insert(_ASSET_SOURCE), inserts)
    if updates:
        statement = update(_ASSET_SOURCE).where(
            _ASSET_SOURCE.c.asset_id == bindparam("b_asset_id"),
            _ASSET_SOURCE.c.source == bindparam("b_source"),
        )
        connection.execute(statement, updates)


def _live_assets(ws: WorkingSet) -> Iterable[AssetState]:
    seen: set[int] = set()
    for asset in [*ws.assets.values(), *ws.new_assets]:
        if asset.merged_into is None and asset.id not in seen:
            seen.add(asset.id)
            yield asset


def _flush_observations(connection: Connection, ws: WorkingSet) -> dict[int, int]:
    if not ws.observations:
        return {}
    rows = [
        {
            "content_hash": record.content_hash,
            "source": record.source,
            "observed_at": record.observed_at,
            "site_code": record.site_code,
            "collector": record.collector,
            "sweep_id": record.sweep_id,
            "asset_id": record.asset.live().id if record.asset else None,
            "outcome": record.outcome,
            "rule": record.rule,
            "payload": record.payload,
        }
        for record in ws.observations
    ]
    statement = insert(_OBSERVATION).returning(_OBSERVATION.c.id, sort_by_parameter_order=True)
    ids = [row[0] for row in connection.execute(statement, rows)]
    return dict(enumerate(ids))


def _flush_children(connection: Connection, ws: WorkingSet) -> None:
    for op in ws.child_ops:
        table = CHILD_TABLES[op.field]
        target = op.asset.live()
        connection.execute(delete(table).where(table.c.asset_id == target.id))
        if op.rows is None:
            assert op.source_asset is not None
            connection.execute(
                update(table)
                .where(table.c.asset_id == op.source_asset.id)
                .values(asset_id=target.id)
            )
        elif op.rows:
            connection.execute(insert(table), [{**row, "asset_id": target.id} for row in op.rows])


def _flush_merges(connection: Connection, ws: WorkingSet) -> None:
    for loser, _survivor in ws.merges:
        survivor_id = loser.live().id
        for table, column in (
            (_CHANGE, _CHANGE.c.asset_id),
            (_OBSERVATION, _OBSERVATION.c.asset_id),
            (_CONFLICT, _CONFLICT.c.asset_id),
            (_CONFLICT, _CONFLICT.c.other_asset_id),
            (_TICKET_LINK, _TICKET_LINK.c.asset_id),
        ):
            connection.execute(
                update(table).where(column == loser.id).values({column.name: survivor_id})
            )
        connection.execute(delete(_ASSET_SOURCE).where(_ASSET_SOURCE.c.asset_id == loser.id))
        connection.execute(delete(_ASSET).where(_ASSET.c.id == loser.id))


def _flush_history(
    connection: Connection, ws: WorkingSet, observation_ids: dict[int, int]
) -> None:
    if ws.changes:
        connection.execute(
            insert(_CHANGE),
            [
                {
                    "asset_id": change.asset.live().id,
                    "field": change.field,
                    "old_value": change.old,
                    "new_value": change.new,
                    "source": change.source,
                    "observed_at": change.observed_at,
                    "observation_id": observation_ids.get(change.observation),
                    "note": change.note,
                }
                for change in ws.changes
            ],
        )
    if ws.conflicts:
        connection.execute(
            insert(_CONFLICT),
            [
                {
                    "kind": conflict.kind,
                    "identifier_type": conflict.identifier_type,
                    "identifier_value": conflict.identifier_value,
                    "asset_id": conflict.asset.live().id,
                    "other_asset_id": conflict.other.live().id if conflict.other else None,
                    "observation_id": observation_ids.get(conflict.observation),
                    "detail": conflict.detail,
                    "created_at": conflict.created_at,
                }
                for conflict in ws.conflicts
            ],
        )
