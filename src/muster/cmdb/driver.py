"""Bulk statements in the database driver's own terms, for ingest's hot paths.

Ingest reads and writes hundreds of thousands of rows; SQLAlchemy's
per-value type processing costs more than the database itself there. This
module sends plain SQL through the driver (sqlite3 or psycopg) with values
already in the form each backend stores: the same forms SQLAlchemy's types
use (``models.UtcDateTime`` as naive UTC; SQLite's DATETIME text layout;
JSON as text), so rows written here read back through the ORM unchanged.
Table and column names come only from the models, never from input.
"""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection

_IN_CHUNK = 500


class Driver:
    """One connection's bulk reads and writes, with values converted for its backend."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        # The DBAPI connection inside SQLAlchemy's, in the same transaction: its
        # cursors hand back plain tuples, without SQLAlchemy's row objects.
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None, "the connection is open, so it has a DBAPI connection"
        self._dbapi = dbapi
        self._times_out: dict[datetime, Any] = {}
        self._times_in: dict[Any, datetime] = {}

    # -- values ---------------------------------------------------------------

    def time_out(self, value: datetime | None) -> Any:
        """A time as the backend stores it: naive UTC (SQLite: SQLAlchemy's text layout)."""
        if value is None:
            return None
        # A batch holds few distinct instants (one per Observation) and writes each often.
        stored = self._times_out.get(value)
        if stored is None:
            naive = value.astimezone(UTC).replace(tzinfo=None)
            stored = naive.isoformat(" ", "microseconds") if self.sqlite else naive
            self._times_out[value] = stored
        return stored

    def time_in(self, raw: Any) -> datetime:
        """A stored time back as an aware UTC datetime."""
        moment = self._times_in.get(raw)
        if moment is None:
            parsed = datetime.fromisoformat(raw) if isinstance(raw, str) else raw
            moment = parsed.replace(tzinfo=UTC)
            self._times_in[raw] = moment
        return moment

    @staticmethod
    def json_out(value: Any) -> str | None:
        """A JSON document as text; PostgreSQL casts it to jsonb on the way in."""
        return None if value is None else orjson.dumps(value).decode()

    def json_in(self, raw: Any) -> Any:
        """A stored JSON document back as Python data."""
        return orjson.loads(raw) if isinstance(raw, str | bytes) else raw

    # -- statements -----------------------------------------------------------

    def insert_many(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """INSERT rows given as tuples in ``columns`` order."""
        if not rows:
            return
        marks = ", ".join([self.mark] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        self.executemany(sql, rows)

    def update_many(
        self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]], key: str = "id"
    ) -> None:
        """UPDATE ``columns`` of rows given as (values..., key value) tuples."""
        if not rows:
            return
        assignments = ", ".join(f"{column} = {self.mark}" for column in columns)
        sql = f"UPDATE {table} SET {assignments} WHERE {key} = {self.mark}"  # noqa: S608
        self.executemany(sql, rows)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run one statement for many rows of parameters."""
        cursor = self._dbapi.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def fetch(self, sql: str, arguments: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(sql, arguments)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def select_in(
        self,
        table: str,
        columns: Sequence[str],
        column: str,
        values: Sequence[Any],
        *,
        where: str = "",
        params: tuple[Any, ...] = (),
    ) -> Iterator[Sequence[Any]]:
        """SELECT ``columns`` of rows whose ``column`` is one of ``values``, in chunks."""
        listed = ", ".join(columns)
        extra = f" AND {where}" if where else ""
        for start in range(0, len(values), _IN_CHUNK):
            chunk = list(values[start : start + _IN_CHUNK])
            if self.sqlite:
                marks = ", ".join("?" * len(chunk))
                sql = f"SELECT {listed} FROM {table} WHERE {column} IN ({marks}){extra}"  # noqa: S608
                arguments: tuple[Any, ...] = (*chunk, *params)
            else:
                sql = f"SELECT {listed} FROM {table} WHERE {column} = ANY(%s){extra}"  # noqa: S608
                arguments = (chunk, *params)
            yield from self.fetch(sql, arguments)
