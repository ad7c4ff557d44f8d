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
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, text, update

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
    _cache: dict[str, int | None] = field(default_factory=dict)

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
        if address in self._cache:
            return self._cache[address]
        site_id = self._lookup(address)
        self._cache[address] = site_id
        return site_id

    def _lookup(self, address: str) -> int | None:
        ip = ipaddress.ip_address(address)
        bits = ip.max_prefixlen
        value = int(ip)
        for length, table in self._networks.get(ip.version, []):
            network = value >> (bits - length) << (bits - length)
            if network in table:
                return table[network]
        return None


class IdAllocator:
    """Hands out ids of a table before rows are written.

    Asset ids appear in explanations before the batch is written; observation
    ids are handed out too so that their rows go in one plain executemany.
    Ingest holds the write lock (SQLite) or the ingest advisory lock
    (PostgreSQL) while it allocates, so no other writer takes the same id.
    """

    _BLOCK = 256

    def __init__(self, connection: Connection, table: str) -> None:
        self._connection = connection
        self._table = table
        self._postgres = connection.dialect.name == "postgresql"
        self._pending: list[int] = []
        self._next = 0
        if not self._postgres:
            column = _TABLES[table].c.id
            highest = connection.execute(select(func.max(column))).scalar() or 0
            # Asset ids of merged-away assets are never reused (AUTOINCREMENT).
            sequence = connection.execute(
                text("SELECT seq FROM sqlite_sequence WHERE name = :table"), {"table": table}
            ).scalar()
            self._next = max(highest, sequence or 0) + 1

    def __call__(self) -> int:
        if not self._postgres:
            self._next += 1
            return self._next - 1
        if not self._pending:
            rows = self._connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"table": self._table, "n": self._BLOCK},
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
    asset_columns = [_ASSET.c[name] for name in _ASSET_COLUMNS]
    identifier_columns = [_IDENTIFIER.c[name] for name in _IDENTIFIER_COLUMNS]
    for chunk in _chunks(ordered):
        query = select(*asset_columns).where(_ASSET.c.id.in_(chunk))
        for row in connection.execute(query):
            asset = _asset_state(row)
            ws.assets[asset.id] = asset
    for chunk in _chunks(ordered):
        query = select(*identifier_columns).where(_IDENTIFIER.c.asset_id.in_(chunk))
        for row in connection.execute(query):
            _load_identifier(ws, row)
        sources = select(
            _ASSET_SOURCE.c.asset_id,
            _ASSET_SOURCE.c.source,
            _ASSET_SOURCE.c.first_seen,
            _ASSET_SOURCE.c.last_seen,
        ).where(_ASSET_SOURCE.c.asset_id.in_(chunk))
        for asset_id, source, first_seen, last_seen in connection.execute(sources):
            asset = ws.assets[asset_id]
            asset.seen_by[source] = [first_seen, last_seen]
            asset.seen_in_db.add(source)
    all_values = sorted({v for vs in wanted.values() for v in vs})
    for chunk in _chunks(all_values):
        query = select(Conflict.kind, Conflict.identifier_type, Conflict.identifier_value).where(
            Conflict.status == "open", Conflict.identifier_value.in_(chunk)
        )
        ws.open_conflicts.update((k, t, v) for k, t, v in connection.execute(query))
    return ws


_ASSET_COLUMNS = ("id", "first_seen", "last_seen", "provenance", *VALUE_COLUMNS)
_IDENTIFIER_COLUMNS = (
    "id", "asset_id", "type", "scope", "value", "usable", "shared", "note", "source",
    "first_seen", "last_seen",
)  # fmt: skip


def _asset_state(row: Sequence[Any]) -> AssetState:
    asset_id, first_seen, last_seen, provenance, *values = row
    return AssetState(
        id=asset_id,
        label=f"#{asset_id}",
        values=dict(zip(VALUE_COLUMNS, values, strict=True)),
        provenance=dict(provenance or {}),
        first_seen=first_seen,
        last_seen=last_seen,
    )


def _load_identifier(ws: WorkingSet, row: Sequence[Any]) -> None:
    (identifier_id, asset_id, kind, scope, value, usable, shared, note, source, first_seen,
     last_seen) = row  # fmt: skip
    identifier = IdentifierState(
        type=kind,
        scope=scope,
        value=value,
        asset=ws.assets[asset_id],
        usable=usable,
        shared=shared,
        note=note,
        source=source,
        first_seen=first_seen,
        last_seen=last_seen,
        id=identifier_id,
    )
    identifier.asset.identifiers.append(identifier)
    ws.index(identifier)


def _identifier_value(identifier: IdentifierState, column: str) -> Any:
    if column == "asset_id":
        return identifier.asset.live().id
    return getattr(identifier, column)


def _update_changed(
    connection: Connection, table: Table, changes: list[tuple[int, dict[str, Any]]]
) -> None:
    """UPDATE rows by id, setting only the columns that changed, one statement per shape."""
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, changed in changes:
        by_shape.setdefault(tuple(sorted(changed)), []).append({**changed, "b_id": row_id})
    for rows in by_shape.values():
        connection.execute(update(table).where(table.c.id == bindparam("b_id")), rows)


def flush(connection: Connection, ws: WorkingSet, observation_ids: IdAllocator) -> dict[int, int]:
    """Write the working set back; return observation ids by position in the batch."""
    live_new = [a for a in ws.new_assets if a.merged_into is None]
    if live_new:
        connection.execute(insert(_ASSET), [_asset_row(a) for a in live_new])
    changes = [
        (asset.id, {name: _asset_value(asset, name) for name in asset.changed})
        for asset in ws.assets.values()
        if asset.changed and asset.merged_into is None
    ]
    _update_changed(connection, _ASSET, changes)
    _flush_identifiers(connection, ws)
    _flush_sources(connection, ws)
    positions = _flush_observations(connection, ws, observation_ids)
    _flush_children(connection, ws)
    _flush_merges(connection, ws)
    _flush_history(connection, ws, positions)
    return positions


def _asset_value(asset: AssetState, column: str) -> Any:
    if column in ("first_seen", "last_seen", "provenance"):
        return getattr(asset, column)
    return asset.values.get(column)


def _asset_row(asset: AssetState) -> dict[str, Any]:
    row = {name: asset.values.get(name) for name in VALUE_COLUMNS}
    row.update(
        {
            "id": asset.id,
            "first_seen": asset.first_seen,
            "last_seen": asset.last_seen,
            "provenance": asset.provenance,
        }
    )
    return row


def _identifier_row(identifier: IdentifierState) -> dict[str, Any]:
    return {
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
    changes = [
        (i.id, {name: _identifier_value(i, name) for name in i.changed})
        for asset in _live_assets(ws)
        for i in asset.identifiers
        if i.changed and i.id is not None and i.id not in dropped_ids
    ]
    _update_changed(connection, _IDENTIFIER, changes)
    if ws.new_identifiers:
        rows = [_identifier_row(i) for i in ws.new_identifiers]
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


def _flush_observations(
    connection: Connection, ws: WorkingSet, allocate: IdAllocator
) -> dict[int, int]:
    received_at = datetime.now(UTC)
    ids = {position: allocate() for position in range(len(ws.observations))}
    if not ws.observations:
        return ids
    rows = [
        {
            "id": ids[position],
            "content_hash": record.content_hash,
            "source": record.source,
            "observed_at": record.observed_at,
            "received_at": received_at,
            "site_code": record.site_code,
            "collector": record.collector,
            "sweep_id": record.sweep_id,
            "asset_id": record.asset.live().id if record.asset else None,
            "outcome": record.outcome,
            "rule": record.rule,
            "payload": record.payload,
        }
        for position, record in enumerate(ws.observations)
    ]
    connection.execute(insert(_OBSERVATION), rows)
    return ids


def _flush_children(connection: Connection, ws: WorkingSet) -> None:
    """Write child lists: one DELETE per table, moves, then one INSERT per table."""
    # What each (asset, list) ends up holding: new rows, or the rows stored on another asset.
    final: dict[tuple[int, str], tuple[AssetState, list[dict[str, Any]] | AssetState]] = {}
    for op in ws.child_ops:
        if op.rows is not None:
            final[(id(op.asset), op.field)] = (op.asset, op.rows)
            continue
        assert op.source_asset is not None
        moved = final.pop((id(op.source_asset), op.field), (op.source_asset, op.source_asset))
        final[(id(op.asset), op.field)] = (op.asset, moved[1])
    by_table: dict[str, list[tuple[AssetState, list[dict[str, Any]] | AssetState]]] = {}
    for (_key, name), (asset, content) in final.items():
        if asset.merged_into is None:
            by_table.setdefault(name, []).append((asset, content))
    for name, entries in by_table.items():
        table = CHILD_TABLES[name]
        for chunk in _chunks([asset.id for asset, _content in entries]):
            connection.execute(delete(table).where(table.c.asset_id.in_(chunk)))
        rows: list[dict[str, Any]] = []
        for asset, content in entries:
            if isinstance(content, AssetState):
                if not content.new:
                    connection.execute(
                        update(table)
                        .where(table.c.asset_id == content.id)
                        .values(asset_id=asset.id)
                    )
            else:
                rows.extend({**row, "asset_id": asset.id} for row in content)
        if rows:
            connection.execute(insert(table), rows)


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
