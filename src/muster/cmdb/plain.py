"""Plain reads: Core SELECTs compiled once per dialect and run on a bare DBAPI cursor.

The API checks a token on every request and looks assets up by serial or MAC
many times a second; each is a read of a few indexed rows that the database
answers in microseconds, while ``Connection.execute`` spends several times
that on events, parameter handling and result set-up. ``PlainSelect`` keeps
what SQLAlchemy offers here (statements written against the models, the
dialect's SQL and parameter style, the column types' conversions of results
such as JSON and aware UTC timestamps) and drops the rest: a statement is
compiled once per dialect, then only the DBAPI runs.

``plain_reader(engine)`` lends a pooled connection for such reads, inside
one transaction so that several statements see the same snapshot on SQLite;
``session_reader(session)`` runs them in a session's transaction, and
``ThreadReaders`` keeps a SQLite connection per thread for an event loop's
reads, outside any pool.
"""

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


@dataclass
class _Compiled:
    """A statement as one dialect runs it."""

    sql: str
    # Bind names in the order of the SQL's placeholders (positional styles such
    # as SQLite's ``?``), or None when the DBAPI takes a dict (psycopg).
    positions: tuple[str, ...] | None
    # The bound values' conversions, for the types that have one.
    binds: list[tuple[str, Callable[[Any], Any]]]
    # Values written into the statement, such as ``"mac"`` in ``type == "mac"``.
    fixed: dict[str, Any]
    # The columns' conversions, by position, for the types that have one. Filled
    # at the first run from the cursor's description: the DBAPI's type codes
    # pick them, as in SQLAlchemy's own result handling.
    results: list[tuple[int, Callable[[Any], Any]]] | None = None


class PlainSelect:
    """A SELECT run on a DBAPI cursor, with its column types' conversions."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        """The statement compiled for this dialect (once)."""
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            binds: list[tuple[str, Callable[[Any], Any]]] = []
            fixed: dict[str, Any] = {}
            for name, bind in compiled.binds.items():
                if bind.expanding:
                    # Its SQL would depend on the values given.
                    raise ValueError(
                        "a plain statement cannot take IN over a list: compare with each value"
                    )
                convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if convert is not None:
                    binds.append((name, convert))
                if not bind.required:
                    fixed[name] = bind.effective_value
            positions = tuple(compiled.positiontup or ()) if dialect.positional else None
            found = _Compiled(compiled.string, positions, binds, fixed)
            self._by_dialect[dialect.name] = found
        return found


class PlainReader:
    """Runs PlainSelects on one DBAPI connection, its ``connection``."""

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self.connection = connection
        self._dialect = dialect

    def all(self, query: PlainSelect, **params: Any) -> list[tuple[Any, ...]]:
        """Every row of ``query`` run with these bound values."""
        compiled = query.compiled(self._dialect)
        values = compiled.fixed | params if compiled.fixed else params
        for name, convert in compiled.binds:
            values[name] = convert(values[name])
        cursor = self.connection.cursor()
        try:
            if compiled.positions is None:
                cursor.execute(compiled.sql, values)
            else:
                cursor.execute(compiled.sql, [values[name] for name in compiled.positions])
            rows = cursor.fetchall()
            if compiled.results is None:
                compiled.results = self._result_conversions(query, cursor.description)
        finally:
            cursor.close()
        if not compiled.results:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            fields = list(row)
            for index, convert in compiled.results:
                fields[index] = convert(fields[index])
            converted.append(tuple(fields))
        return converted

    def first(self, query: PlainSelect, **params: Any) -> tuple[Any, ...] | None:
        """The first row of ``query``, or None when there is none."""
        rows = self.all(query, **params)
        return rows[0] if rows else None

    def _result_conversions(
        self, query: PlainSelect, description: Sequence[Sequence[Any]]
    ) -> list[tuple[int, Callable[[Any], Any]]]:
        columns = list(query.statement.selected_columns)
        conversions: list[tuple[int, Callable[[Any], Any]]] = []
        for index, (column, field) in enumerate(zip(columns, description, strict=True)):
            impl = column.type.dialect_impl(self._dialect)
            convert = impl.result_processor(self._dialect, field[1])
            if convert is not None:
                conversions.append((index, convert))
        return conversions


def session_reader(session: Session) -> PlainReader:
    """A PlainReader inside a session's transaction, on its connection."""
    connection = session.connection()
    return PlainReader(connection.connection, connection.dialect)


@contextmanager
def plain_reader(engine: Engine) -> Iterator[PlainReader]:
    """Lend a pooled connection for plain reads.

    On SQLite they run in one read transaction, so that several statements
    see the same snapshot; the pool ends it when the connection goes back
    (its reset on return is a rollback).

    On PostgreSQL each statement commits by itself (the DBAPI connection is
    in autocommit while lent). Under its READ COMMITTED isolation every
    statement sees a snapshot of its own, inside a transaction or not, so the
    reads see what they would have seen, and the BEGIN the driver would send
    before the first one and the ROLLBACK of the pool's reset are not sent:
    two round trips of the four of a token check.
    """
    connection = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            # Muster's SQLite connections leave BEGIN to SQLAlchemy's events,
            # which a bare connection does not fire.
            cursor = connection.cursor()
            cursor.execute("BEGIN")
            cursor.close()
            yield PlainReader(connection, engine.dialect)
        else:
            dbapi: Any = connection.dbapi_connection
            dbapi.autocommit = True
            try:
                yield PlainReader(connection, engine.dialect)
            finally:
                if not dbapi.closed:
                    dbapi.autocommit = False
    finally:
        connection.close()


class ThreadReaders:
    """One SQLite connection per thread, kept open outside any pool, for plain reads.

    An event loop reads through it: waiting for a pooled connection there
    would stall the loop, and the connections it waited for could belong to
    sessions that only the loop closes. A thread's reads never overlap, so
    one connection each is enough, and lending it costs nothing.
    """

    def __init__(self, engine: Engine) -> None:
        """Open connections with ``engine`` (its connect events set them up)."""
        self._engine = engine
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Any] = []
        # Bumped by close(), so that threads open new connections afterwards.
        self._generation = 0

    @contextmanager
    def reader(self) -> Iterator[PlainReader]:
        """Lend this thread's connection for plain reads, in one read transaction."""
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.generation != self._generation:
            connection = self._open()
        # Muster's SQLite connections leave BEGIN to whoever runs them.
        connection.execute("BEGIN")
        try:
            yield PlainReader(connection, self._engine.dialect)
        finally:
            connection.rollback()

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            opened, self._opened = self._opened, []
            self._generation += 1
        for connection in opened:
            connection.close()

    def _open(self) -> Any:
        pooled = self._engine.raw_connection()
        pooled.detach()
        connection = pooled.dbapi_connection
        with self._lock:
            self._opened.append(connection)
            self._local.connection = connection
            self._local.generation = self._generation
        return connection
