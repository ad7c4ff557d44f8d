"""Bulk statements in the database driver's own terms, for ingest's hot paths.

Ingest reads and writes hundreds of thousands of rows; SQLAlchemy's
per-value type processing costs more than the database itself there. This
module sends plain SQL through the driver (sqlite3 or psycopg) with values
already in the form each backend stores: the same forms SQLAlchemy's types
use (``models.UtcDateTime`` as naive UTC; SQLite's DATETIME text layout;
JSON as text), so rows written here read back through the ORM unchanged.
Table and column names come only from the models, never from input.

Each backend gets the statements it runs fastest, because ingest's time on
PostgreSQL was round trips and per-row statements, and on SQLite Python:

- SQLite: ``executemany`` of one prepared statement, which the sqlite3 module
  runs in C without leaving the process.
- PostgreSQL: rows go in with one COPY per table and are updated with one
  ``UPDATE ... FROM unnest(arrays)`` per shape of update, so a batch costs a
  handful of round trips however many rows it writes. Arrays are sent in
  binary: psycopg quotes the elements of a text-format array in Python, which
  took 30 times as long for a batch's JSON documents. Queries are sent
  unprepared: once psycopg had prepared the identifier lookup (after five
  runs), its generic plan, chosen while the tables were small, made each
  lookup of a few hundred values 30 times slower, and slower as the table grew.
- PostgreSQL plans ingest's statements with statistics kept in step with
  the tables' growth, and with index reads priced as reads from memory
  (``Planner``). A district's first ingest starts from empty tables, and
  autovacuum analyses a table only a minute after a tenth of its rows
  changed; until then the planner took the identifier table, grown to
  hundreds of thousands of rows, for a small one. And with a random read
  priced as a disk seek (``random_page_cost`` 4), it read whole tables to
  look up or update the few thousand rows of a batch, three times slower
  than through their indexes.
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache, partial
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql

from muster.cmdb.models import Base

if TYPE_CHECKING:
    from psycopg import Cursor

logger = logging.getLogger(__name__)

_IN_CHUNK = 500
# Tables whose lookups ingest plans for, with the columns it filters them on.
PLANNED_TABLES = {
    "asset": ("id",),
    "identifier": ("id", "asset_id", "type", "scope", "value"),
    "asset_source": ("asset_id", "source"),
    "observation": ("id", "content_hash", "asset_id"),
}
# A table of at least MIN_ANALYSED_PAGES (a smaller one is read whole whatever
# the plan) is analysed when the planner has no density (rows per page) for
# it, or a density of zero, or it has grown GROWTH_BEFORE_ANALYSE times since.
GROWTH_BEFORE_ANALYSE = 2
MIN_ANALYSED_PAGES = 16
# The price of a random page read during ingest, against 1 for a sequential
# one: PostgreSQL's own advice for data that is mostly cached.
INGEST_RANDOM_PAGE_COST = 1.1
_POSTGRES = postgresql.dialect()  # type: ignore[no-untyped-call]


def _parse_json_with_orjson(cursor: "Cursor[Any]") -> None:
    """Make a psycopg cursor parse JSON documents with orjson rather than the json module."""
    from psycopg.types.json import set_json_loads  # psycopg is loaded only for PostgreSQL

    set_json_loads(orjson.loads, cursor)


@cache
def _array_type(table: str, column: str) -> str:
    """The PostgreSQL array type of a column, to cast an unnest() argument to."""
    return f"{Base.metadata.tables[table].c[column].type.compile(dialect=_POSTGRES)}[]"


class Planner:
    """Prepares PostgreSQL's planner for a batch of ingest; other backends are left alone.

    Each batch reads rows by key from tables that earlier batches have just
    read and written, so they are in PostgreSQL's buffers: the transaction
    prices a random page read at ``INGEST_RANDOM_PAGE_COST`` (SET LOCAL).

    The planner estimates a table's rows as its current size in pages times
    the rows per page it last measured (``pg_class.reltuples / relpages``,
    which ANALYZE, VACUUM and autovacuum keep). Until a table is first
    measured it guesses rows per page from the declared column widths, and
    took the asset table of 3,000 rows for one row. So before each batch, a
    planned table of ``MIN_ANALYSED_PAGES`` or more with no measure, a
    measure of zero rows, or ``GROWTH_BEFORE_ANALYSE`` times the pages it was
    measured at is analysed on the columns ingest filters on.

    ANALYZE writes the row and page counts in place, outside the transaction:
    rolled back, they would count rows that are not there, so dry runs do
    not analyse. A role that does not own the tables gets a warning from
    PostgreSQL instead of new statistics.
    """

    def __init__(self, *, analyse: bool = True) -> None:
        self.analyse = analyse

    def prepare(self, connection: Connection) -> None:
        """Price random reads for this transaction; analyse tables that outgrew their measure."""
        if connection.dialect.name != "postgresql":
            return
        connection.exec_driver_sql(f"SET LOCAL random_page_cost = {INGEST_RANDOM_PAGE_COST}")
        if not self.analyse:
            return
        for table in self._outgrown(connection):
            columns = ", ".join(PLANNED_TABLES[table])
            connection.exec_driver_sql(f"ANALYZE {table} ({columns})")
            logger.debug("analysed %s for the planner", table)

    @staticmethod
    def _outgrown(connection: Connection) -> list[str]:
        """The planned tables whose measure, if any, no longer holds."""
        sizes = connection.exec_driver_sql(
            "SELECT relname, reltuples, relpages, "
            "pg_relation_size(oid) / current_setting('block_size')::int "
            "FROM pg_class WHERE oid = ANY(%(tables)s::regclass[]) ORDER BY relname",
            {"tables": list(PLANNED_TABLES)},
        )
        return [
            table
            for table, rows, measured_pages, pages in sizes
            if pages >= MIN_ANALYSED_PAGES
            and (rows <= 0 or pages >= GROWTH_BEFORE_ANALYSE * measured_pages)
        ]


class Writer:
    """Runs a connection's writes in order on a thread of their own while the caller goes on.

    Ingest's time was Python deciding and the database writing, one after the
    other. With a writer, the statements that write a batch back are queued
    as soon as their rows are built: the database works on one while Python
    builds the next, and while it prepares the next batch. The caller must
    not use the connection until ``wait`` returns. After a statement fails,
    the rest of the queue is skipped and ``wait`` raises that error.

    Without ``threaded`` each statement runs when it is queued (SQLite: see
    ``for_connection``).
    """

    def __init__(self, *, threaded: bool = True) -> None:
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="muster-ingest-writer")
            if threaded
            else None
        )
        self._queued: list[Future[None]] = []
        self._failed = False

    @classmethod
    def for_connection(cls, connection: Connection) -> "Writer":
        """A threaded writer on PostgreSQL; on SQLite each statement runs when queued.

        SQLite writes in the calling process, a row at a time, letting go of
        Python's interpreter lock for each: a second thread then waited for
        the lock after every row, and ingest was 4 % slower than without it.
        """
        return cls(threaded=connection.dialect.name == "postgresql")

    def submit(self, statement: Callable[[], object]) -> None:
        """Queue a write; it runs after every write queued before it."""
        if self._executor is None:
            statement()
            return
        self._queued.append(self._executor.submit(self._run, statement))

    def _run(self, statement: Callable[[], object]) -> None:
        if self._failed:
            return
        try:
            statement()
        except BaseException:
            self._failed = True
            raise

    def wait(self) -> None:
        """Return once every queued write is done; raise the error of the one that failed."""
        queued, self._queued = self._queued, []
        error: BaseException | None = None
        for future in queued:
            failure = future.exception()
            if failure is not None and error is None:
                error = failure
        self._failed = False
        if error is not None:
            raise error

    def close(self) -> None:
        """Wait for what is queued, without raising, and stop the thread."""
        for future in self._queued:
            future.exception()
        self._queued = []
        if self._executor is not None:
            self._executor.shutdown()


class Driver:
    """One connection's bulk reads and writes, with values converted for its backend.

    Writes go through ``writer`` when one is given (see ``Writer``); reads
    always run at once, so they must not come while writes are queued.
    """

    def __init__(self, connection: Connection, writer: Writer | None = None) -> None:
        self.connection = connection
        self.writer = writer
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

    def _write(self, statement: Callable[..., object], *arguments: Any) -> None:
        """Run a write now, or queue it on the writer if there is one."""
        if self.writer is None:
            statement(*arguments)
        else:
            self.writer.submit(partial(statement, *arguments))

    def execute(self, statement: Any, parameters: Any = None) -> None:
        """Run a SQLAlchemy statement whose result is not needed, through the writer if any."""
        self._write(self.connection.execute, statement, parameters)

    def insert_many(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """INSERT rows given as tuples in ``columns`` order."""
        if rows:
            self._write(self._insert_many, table, columns, rows)

    def _insert_many(
        self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        listed = ", ".join(f'"{column}"' for column in columns)
        if not self.sqlite:
            cursor = self._dbapi.cursor()
            try:
                with cursor.copy(f'COPY "{table}" ({listed}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            finally:
                cursor.close()
            return
        marks = ", ".join("?" * len(columns))
        self.executemany(f'INSERT INTO "{table}" ({listed}) VALUES ({marks})', rows)  # noqa: S608

    def update_many(
        self,
        table: str,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
        keys: Sequence[str] = ("id",),
    ) -> None:
        """UPDATE ``columns`` of rows given as (values..., key values...) tuples.

        The keys must name each row once.
        """
        if rows:
            self._write(self._update_many, table, columns, rows, keys)

    def _update_many(
        self,
        table: str,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
        keys: Sequence[str],
    ) -> None:
        if self.sqlite:
            assignments = ", ".join(f'"{column}" = ?' for column in columns)
            match = " AND ".join(f'"{key}" = ?' for key in keys)
            self.executemany(f'UPDATE "{table}" SET {assignments} WHERE {match}', rows)  # noqa: S608
            return
        names = (*columns, *keys)
        arrays = ", ".join(f"%b::{_array_type(table, name)}" for name in names)
        listed = ", ".join(f'"{name}"' for name in names)
        assignments = ", ".join(f'"{column}" = v."{column}"' for column in columns)
        match = " AND ".join(f'"{table}"."{key}" = v."{key}"' for key in keys)
        sql = (
            f'UPDATE "{table}" SET {assignments} '  # noqa: S608
            f"FROM unnest({arrays}) AS v({listed}) WHERE {match}"
        )
        self.fetch(sql, [list(column) for column in zip(*rows, strict=True)], rows=False)

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run one statement for many rows of parameters."""
        cursor = self._dbapi.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def fetch(
        self, sql: str, arguments: Sequence[Any], *, rows: bool = True
    ) -> list[tuple[Any, ...]]:
        """Run a statement (on PostgreSQL unprepared) and return its rows as tuples."""
        cursor = self._dbapi.cursor()
        try:
            if self.sqlite:
                cursor.execute(sql, arguments)
            else:
                postgres_cursor = cast("Cursor[Any]", cursor)
                _parse_json_with_orjson(postgres_cursor)
                postgres_cursor.execute(sql, arguments, prepare=False)
            return list(cursor.fetchall()) if rows else []
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
        """SELECT ``columns`` of rows whose ``column`` is one of ``values`` (chunked on SQLite)."""
        listed = ", ".join(columns)
        extra = f" AND {where}" if where else ""
        if not self.sqlite:  # one array parameter, however many values
            sql = f"SELECT {listed} FROM {table} WHERE {column} = ANY(%b){extra}"  # noqa: S608
            yield from self.fetch(sql, (list(values), *params))
            return
        for start in range(0, len(values), _IN_CHUNK):
            chunk = values[start : start + _IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT {listed} FROM {table} WHERE {column} IN ({marks}){extra}"  # noqa: S608
            yield from self.fetch(sql, (*chunk, *params))
