"""Loading a batch's working set from the CMDB and writing it back in bulk.

Reconciliation decides in memory (``reconcile``); this module is the only
part of ingest that speaks SQL. Reads fetch every asset a batch's usable
identifiers reach, with all of those assets' identifiers; writes go out as
one bulk statement per table and kind of statement (``driver``: executemany
on SQLite, COPY and UPDATE from arrays on PostgreSQL), in an order that keeps
foreign keys and the unique index on usable identifiers valid after each
statement.
"""

import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update

from muster.cmdb import observation as contract
from muster.cmdb.driver import Driver, Writer
from muster.cmdb.errors import UnknownSiteError
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
    JsonDocument,
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

    def place(
        self, index: int, observation: contract.Observation
    ) -> tuple[int | None, str | None]:
        """Return the site (id, code) of an Observation: the one it names, else by address.

        An unknown site code raises UnknownSiteError naming the Observation's position.
        """
        if observation.site is not None:
            site_id = self.by_code.get(observation.site)
            if site_id is None:
                raise UnknownSiteError(index, observation.site)
            return site_id, observation.site
        addresses = list(observation.identifiers.ips)
        for interface in observation.interfaces or []:
            addresses.extend(interface.ips)
        for address in addresses:
            site_id = self.site_of_address(address)
            if site_id is not None:
                return site_id, self.code_by_id[site_id]
        return None, None

    def site_of_address(self, address: str) -> int | None:
        """Return the site whose most specific subnet holds an address."""
        if address in self._cache:
            return self._cache[address]
        site_id = self._lookup(address)
        self._cache[address] = site_id
        return site_id

    def _lookup(self, address: str) -> int | None:
        if ":" in address:
            ip = ipaddress.ip_address(address)
            version, bits, value = ip.version, ip.max_prefixlen, int(ip)
        else:  # canonical dotted quad, as the Observation schema keeps it
            a, b, c, d = (int(octet) for octet in address.split("."))
            version, bits, value = 4, 32, a << 24 | b << 16 | c << 8 | d
        for length, table in self._networks.get(version, []):
            network = value >> (bits - length) << (bits - length)
            if network in table:
                return table[network]
        return None


class IdAllocator:
    """Hands out ids of a table before rows are written.

    Asset ids appear in explanations before the batch is written; observation
    ids are handed out too, a batch's at once, so that their rows go in one bulk insert.
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
            self._pending = self._reserve(self._BLOCK)[::-1]
        return self._pending.pop()

    def take(self, count: int) -> list[int]:
        """Hand out ``count`` ids at once (on PostgreSQL, in one round trip)."""
        if not self._postgres:
            self._next += count
            return list(range(self._next - count, self._next))
        ready = self._pending[::-1][:count]
        del self._pending[len(self._pending) - len(ready) :]
        return ready + self._reserve(count - len(ready))

    def _reserve(self, count: int) -> list[int]:
        """Draw ``count`` ids from the table's sequence, in ascending order."""
        if count <= 0:
            return []
        rows = self._connection.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": self._table, "n": count},
        )
        return sorted(r[0] for r in rows)


def known_hashes(connection: Connection, hashes: Sequence[str]) -> dict[str, int | None]:
    """Map content hashes already stored to the asset their Observation belongs to."""
    rows = Driver(connection).select_in(
        "observation", ("content_hash", "asset_id"), "content_hash", hashes
    )
    return dict(rows)  # type: ignore[arg-type]


def load_working_set(connection: Connection, batch: Sequence[Prepared]) -> WorkingSet:
    """Read every asset the batch's usable identifiers reach, with all their identifiers."""
    driver = Driver(connection)
    ws = WorkingSet()
    wanted: dict[str, set[str]] = {}
    for prepared in batch:
        for claim in prepared.claims:
            if claim.usable:
                wanted.setdefault(claim.key[0], set()).add(claim.value)
    asset_ids: set[int] = set()
    for kind, values in wanted.items():
        rows = driver.select_in(
            "identifier",
            ("asset_id",),
            "value",
            sorted(values),
            where=f"type = {driver.mark}",
            params=(kind,),
        )
        asset_ids.update(row[0] for row in rows)
    ordered = sorted(asset_ids)
    for row in driver.select_in("asset", _ASSET_COLUMNS, "id", ordered):
        asset = _asset_state(driver, row)
        ws.assets[asset.id] = asset
    for row in driver.select_in("identifier", _IDENTIFIER_COLUMNS, "asset_id", ordered):
        _load_identifier(driver, ws, row)
    sources = ("asset_id", "source", "first_seen", "last_seen")
    for asset_id, source, first_seen, last_seen in driver.select_in(
        "asset_source", sources, "asset_id", ordered
    ):
        asset = ws.assets[asset_id]
        asset.seen_by[source] = [driver.time_in(first_seen), driver.time_in(last_seen)]
        asset.seen_in_db.add(source)
    all_values = sorted({v for vs in wanted.values() for v in vs})
    columns = ("kind", "identifier_type", "identifier_value")
    for kind, kind_of_identifier, value in driver.select_in(
        "conflict",
        columns,
        "identifier_value",
        all_values,
        where=f"status = {driver.mark}",
        params=("open",),
    ):
        ws.open_conflicts.add((kind, kind_of_identifier, value))
    return ws


_ASSET_COLUMNS = ("id", "first_seen", "last_seen", "provenance", *VALUE_COLUMNS)
_IDENTIFIER_COLUMNS = (
    "id",
    "asset_id",
    "type",
    "scope",
    "value",
    "usable",
    "shared",
    "note",
    "source",
    "first_seen",
    "last_seen",
)
_TIME_COLUMNS = frozenset({"first_seen", "last_seen", "boot_time"})
# Value columns whose stored form differs from the form ingest holds.
_CONVERTED_COLUMNS = ("boot_time", "firmware_date", "virtual", "battery", "gateways")


def _value_in(driver: Driver, column: str, raw: Any) -> Any:
    """An asset column as stored, back as ingest holds it."""
    if raw is None:
        return None
    if column in _TIME_COLUMNS:
        return driver.time_in(raw)
    if column == "firmware_date" and isinstance(raw, str):
        return date.fromisoformat(raw)
    if column in ("virtual", "battery"):
        return bool(raw)
    if column == "gateways":
        return driver.json_in(raw)
    return raw


def _value_out(driver: Driver, column: str, value: Any) -> Any:
    """An asset column as ingest holds it, in the form the backend stores."""
    if value is None:
        return None
    if column in _TIME_COLUMNS:
        return driver.time_out(value)
    if column in ("provenance", "gateways"):
        return driver.json_out(value)
    if column == "firmware_date" and driver.sqlite:
        return value.isoformat()
    return value


def _asset_state(driver: Driver, row: Sequence[Any]) -> AssetState:
    asset_id, first_seen, last_seen, provenance, *raw = row
    values = dict(zip(VALUE_COLUMNS, raw, strict=True))
    for name in _CONVERTED_COLUMNS:
        if values[name] is not None:
            values[name] = _value_in(driver, name, values[name])
    return AssetState(
        id=asset_id,
        label=f"#{asset_id}",
        values=values,
        provenance=dict(driver.json_in(provenance) or {}),
        first_seen=driver.time_in(first_seen),
        last_seen=driver.time_in(last_seen),
    )


def _load_identifier(driver: Driver, ws: WorkingSet, row: Sequence[Any]) -> None:
    (
        identifier_id,
        asset_id,
        kind,
        scope,
        value,
        usable,
        shared,
        note,
        source,
        first_seen,
        last_seen,
    ) = row
    identifier = IdentifierState(
        key=(kind, scope, value),
        type=kind,
        scope=scope,
        value=value,
        asset=ws.assets[asset_id],
        usable=bool(usable),
        shared=bool(shared),
        note=note,
        source=source,
        first_seen=driver.time_in(first_seen),
        last_seen=driver.time_in(last_seen),
        id=identifier_id,
    )
    identifier.asset.identifiers.append(identifier)
    ws.index(identifier)


def _identifier_value(driver: Driver, identifier: IdentifierState, column: str) -> Any:
    if column == "asset_id":
        return identifier.asset.live().id
    value = getattr(identifier, column)
    return driver.time_out(value) if column in _TIME_COLUMNS else value


def _update_changed(driver: Driver, table: str, changes: list[tuple[int, dict[str, Any]]]) -> None:
    """UPDATE rows by id, setting only the columns that changed, one statement per shape."""
    by_shape: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for row_id, changed in changes:
        shape = tuple(sorted(changed))
        by_shape.setdefault(shape, []).append((*(changed[c] for c in shape), row_id))
    for shape, rows in by_shape.items():
        driver.update_many(table, shape, rows)


def flush(
    connection: Connection,
    ws: WorkingSet,
    observation_ids: IdAllocator,
    writer: Writer | None = None,
) -> dict[int, int]:
    """Write the working set back; return observation ids by position in the batch.

    With a ``writer`` the statements are queued on it as their rows are
    built, and may still be running when this returns: ``writer.wait()``
    before the connection is used again.
    """
    # Ids first: on PostgreSQL taking them reads the sequence, which must not
    # come while writes are queued.
    positions = dict(enumerate(observation_ids.take(len(ws.observations))))
    driver = Driver(connection, writer)
    live_new = [a for a in ws.new_assets if a.merged_into is None]
    driver.insert_many("asset", _ASSET_COLUMNS, [_asset_row(driver, a) for a in live_new])
    changes = [
        (
            asset.id,
            {name: _value_out(driver, name, _asset_value(asset, name)) for name in asset.changed},
        )
        for asset in ws.assets.values()
        if asset.changed and asset.merged_into is None
    ]
    _update_changed(driver, "asset", changes)
    _flush_identifiers(driver, ws)
    _flush_sources(driver, ws)
    _flush_observations(driver, ws, positions)
    _flush_children(driver, ws)
    _flush_merges(driver, ws)
    _flush_history(driver, ws, positions)
    if ws.conflicts:
        _flush_conflicts(driver, ws, positions)
    return positions


def _asset_value(asset: AssetState, column: str) -> Any:
    if column in ("first_seen", "last_seen", "provenance"):
        return getattr(asset, column)
    return asset.values.get(column)


def _asset_row(driver: Driver, asset: AssetState) -> tuple[Any, ...]:
    return tuple(
        asset.id if name == "id" else _value_out(driver, name, _asset_value(asset, name))
        for name in _ASSET_COLUMNS
    )


_NEW_IDENTIFIER_COLUMNS = _IDENTIFIER_COLUMNS[1:]


def _flush_identifiers(driver: Driver, ws: WorkingSet) -> None:
    dropped = [i.id for i in ws.dropped_identifiers if i.id is not None]
    for chunk in _chunks(dropped):
        driver.execute(delete(_IDENTIFIER).where(_IDENTIFIER.c.id.in_(chunk)))
    dropped_ids = set(dropped)
    changes = [
        (i.id, {name: _identifier_value(driver, i, name) for name in i.changed})
        for asset in _live_assets(ws)
        for i in asset.identifiers
        if i.changed and i.id is not None and i.id not in dropped_ids
    ]
    _update_changed(driver, "identifier", changes)
    rows = [
        (
            i.asset.live().id,
            i.type,
            i.scope,
            i.value,
            i.usable,
            i.shared,
            i.note,
            i.source,
            driver.time_out(i.first_seen),
            driver.time_out(i.last_seen),
        )
        for i in ws.new_identifiers
    ]
    driver.insert_many("identifier", _NEW_IDENTIFIER_COLUMNS, rows)


def _flush_sources(driver: Driver, ws: WorkingSet) -> None:
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    for asset in _live_assets(ws):
        for source in sorted(asset.seen_dirty):
            first, last = (driver.time_out(t) for t in asset.seen_by[source])
            if source in asset.seen_in_db:
                updates.append((first, last, asset.id, source))
            else:
                inserts.append((asset.id, source, first, last))
    driver.insert_many("asset_source", ("asset_id", "source", "first_seen", "last_seen"), inserts)
    driver.update_many(
        "asset_source", ("first_seen", "last_seen"), updates, keys=("asset_id", "source")
    )


def _live_assets(ws: WorkingSet) -> Iterable[AssetState]:
    seen: set[int] = set()
    for asset in [*ws.assets.values(), *ws.new_assets]:
        if asset.merged_into is None and asset.id not in seen:
            seen.add(asset.id)
            yield asset


_OBSERVATION_COLUMNS = (
    "id",
    "content_hash",
    "source",
    "observed_at",
    "received_at",
    "site_code",
    "collector",
    "sweep_id",
    "asset_id",
    "outcome",
    "rule",
    "payload",
)


def _flush_observations(driver: Driver, ws: WorkingSet, ids: dict[int, int]) -> None:
    received_at = driver.time_out(datetime.now(UTC))
    rows = [
        (
            ids[position],
            record.content_hash,
            record.source,
            driver.time_out(record.observed_at),
            received_at,
            record.site_code,
            record.collector,
            record.sweep_id,
            record.asset.live().id if record.asset else None,
            record.outcome,
            record.rule,
            driver.json_out(record.payload),
        )
        for position, record in enumerate(ws.observations)
    ]
    driver.insert_many("observation", _OBSERVATION_COLUMNS, rows)


def _flush_children(driver: Driver, ws: WorkingSet) -> None:
    """Write child lists: one DELETE per table, moves, then one bulk INSERT per table."""
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
            driver.execute(delete(table).where(table.c.asset_id.in_(chunk)))
        columns, json_columns = _CHILD_COLUMNS[name]
        rows: list[tuple[Any, ...]] = []
        for asset, content in entries:
            if isinstance(content, AssetState):
                if not content.new:
                    driver.execute(
                        update(table)
                        .where(table.c.asset_id == content.id)
                        .values(asset_id=asset.id)
                    )
                continue
            for row in content:
                rows.append(
                    tuple(
                        asset.id
                        if column == "asset_id"
                        else driver.json_out(row[column])
                        if column in json_columns
                        else row[column]
                        for column in columns
                    )
                )
        driver.insert_many(table.name, columns, rows)


# Columns of each child table that ingest writes, and which of them hold JSON.
_CHILD_COLUMNS = {
    name: (
        tuple(c.name for c in table.columns if c.name != "id"),
        frozenset(c.name for c in table.columns if isinstance(c.type, JsonDocument)),
    )
    for name, table in CHILD_TABLES.items()
}


def _flush_merges(driver: Driver, ws: WorkingSet) -> None:
    for loser, _survivor in ws.merges:
        survivor_id = loser.live().id
        for table, column in (
            (_CHANGE, _CHANGE.c.asset_id),
            (_OBSERVATION, _OBSERVATION.c.asset_id),
            (_CONFLICT, _CONFLICT.c.asset_id),
            (_CONFLICT, _CONFLICT.c.other_asset_id),
            (_TICKET_LINK, _TICKET_LINK.c.asset_id),
        ):
            driver.execute(
                update(table).where(column == loser.id).values({column.name: survivor_id})
            )
        driver.execute(delete(_ASSET_SOURCE).where(_ASSET_SOURCE.c.asset_id == loser.id))
        driver.execute(delete(_ASSET).where(_ASSET.c.id == loser.id))


_CHANGE_COLUMNS = (
    "asset_id",
    "field",
    "old_value",
    "new_value",
    "source",
    "observed_at",
    "recorded_at",
    "observation_id",
    "note",
)


def _flush_history(driver: Driver, ws: WorkingSet, observation_ids: dict[int, int]) -> None:
    recorded_at = driver.time_out(datetime.now(UTC))
    rows = [
        (
            change.asset.live().id,
            change.field,
            driver.json_out(change.old),
            driver.json_out(change.new),
            change.source,
            driver.time_out(change.observed_at),
            recorded_at,
            observation_ids.get(change.observation),
            change.note,
        )
        for change in ws.changes
    ]
    driver.insert_many("change", _CHANGE_COLUMNS, rows)


def _flush_conflicts(driver: Driver, ws: WorkingSet, observation_ids: dict[int, int]) -> None:
    driver.execute(
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
