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
one transaction so that several statements see the same snapshot on SQLite,
and ``run_plain`` runs a function of reads on one, again on a new connection
if the first was dead; ``session_reader(session)`` runs them in a session's
transaction. An event loop reads without blocking: on SQLite through
``ThreadReaders`` (a connection per thread, outside any pool), on PostgreSQL
through ``AsyncReads`` (psycopg's asyncio connections). A ``PlainRead``, one
statement with its values and the answer its rows give, runs on either kind.
"""

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy import Engine, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from muster.cmdb.errors import ConnectionLostError

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


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

    def bind(self, dialect: Dialect, params: dict[str, Any]) -> tuple[_Compiled, Any]:
        """The statement for this dialect, and these values as its DBAPI parameters."""
        compiled = self.compiled(dialect)
        # A copy: the caller's values stay as given (a read may run twice).
        values = compiled.fixed | params
        for name, convert in compiled.binds:
            values[name] = convert(values[name])
        if compiled.positions is None:
            return compiled, values
        return compiled, [values[name] for name in compiled.positions]

    def convert(
        self,
        dialect: Dialect,
        compiled: _Compiled,
        rows: Sequence[Sequence[Any]],
        description: Sequence[Sequence[Any]],
    ) -> list[tuple[Any, ...]]:
        """The DBAPI's rows with the columns' types' conversions applied."""
        if compiled.results is None:
            compiled.results = self._result_conversions(dialect, description)
        if not compiled.results:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            fields = list(row)
            for index, convert in compiled.results:
                fields[index] = convert(fields[index])
            converted.append(tuple(fields))
        return converted

    def _result_conversions(
        self, dialect: Dialect, description: Sequence[Sequence[Any]]
    ) -> list[tuple[int, Callable[[Any], Any]]]:
        columns = list(self.statement.selected_columns)
        conversions: list[tuple[int, Callable[[Any], Any]]] = []
        for index, (column, field) in enumerate(zip(columns, description, strict=True)):
            impl = column.type.dialect_impl(dialect)
            convert = impl.result_processor(dialect, field[1])
            if convert is not None:
                conversions.append((index, convert))
        return conversions


@dataclass(frozen=True)
class PlainRead(Generic[T]):
    """A read of one PlainSelect: its bound values, and what its rows answer.

    Written once, it runs on a blocking reader (``PlainReader.run``) or on an
    event loop's (``AsyncPlainReader.run``).
    """

    query: PlainSelect
    params: dict[str, Any]
    answer: Callable[[list[tuple[Any, ...]]], T]


class PlainReader:
    """Runs PlainSelects on one DBAPI connection, its ``connection``."""

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self.connection = connection
        self._dialect = dialect

    def all(self, query: PlainSelect, **params: Any) -> list[tuple[Any, ...]]:
        """Every row of ``query`` run with these bound values."""
        compiled, bound = query.bind(self._dialect, params)
        rows, description = self._execute(compiled.sql, bound)
        return query.convert(self._dialect, compiled, rows, description)

    def run(self, read: PlainRead[T]) -> T:
        """Run a read of one statement; return its answer."""
        return read.answer(self.all(read.query, **read.params))

    def _execute(self, sql: str, bound: Any) -> tuple[list[Any], Sequence[Sequence[Any]]]:
        """Run one statement; return its rows and the cursor's description of them."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, bound)
            return cursor.fetchall(), cursor.description
        finally:
            cursor.close()

    def first(self, query: PlainSelect, **params: Any) -> tuple[Any, ...] | None:
        """The first row of ``query``, or None when there is none."""
        rows = self.all(query, **params)
        return rows[0] if rows else None


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

    A connection found dead on the way (the server restarted) is dropped from
    the pool rather than lent again, and ConnectionLostError raised.
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
    except engine.dialect.loaded_dbapi.Error as exc:
        if not engine.dialect.is_disconnect(exc, connection.dbapi_connection, None):
            raise
        connection.invalidate(exc)
        raise ConnectionLostError(f"the connection to the CMDB database was lost: {exc}") from exc
    finally:
        connection.close()


def run_plain(
    engine: Engine,
    work: Callable[Concatenate[PlainReader, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run ``work(reader, ...)`` on a pooled connection lent by ``plain_reader``.

    Reads change nothing, so when the connection turns out to be dead (the
    database server restarted since it was last used) they run once more, on
    a new one, and the caller never sees the restart.
    """
    try:
        with plain_reader(engine) as reader:
            return work(reader, *args, **kwargs)
    except ConnectionLostError as exc:
        logger.info("%s; reading again on a new connection", exc)
    with plain_reader(engine) as reader:
        return work(reader, *args, **kwargs)


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


class AsyncPlainReader:
    """Runs PlainSelects on a psycopg ``AsyncConnection``, without blocking the event loop."""

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self.connection = connection
        self._dialect = dialect

    async def all(self, query: PlainSelect, **params: Any) -> list[tuple[Any, ...]]:
        """Every row of ``query`` run with these bound values."""
        compiled, bound = query.bind(self._dialect, params)
        cursor = self.connection.cursor()
        try:
            await cursor.execute(compiled.sql, bound)
            rows = await cursor.fetchall()
            description = cursor.description
        finally:
            await cursor.close()
        return query.convert(self._dialect, compiled, rows, description)

    async def run(self, read: PlainRead[T]) -> T:
        """Run a read of one statement; return its answer."""
        return read.answer(await self.all(read.query, **read.params))


# Connections of one event loop's own to PostgreSQL, at most. An API worker
# keeps them beside its engine's pool (20, and 10 more at busy times): two
# workers stay within PostgreSQL's default of 100 connections.
ASYNC_READ_CONNECTIONS = 8


class AsyncReads:
    """PostgreSQL connections of an event loop's own, for its plain reads.

    The API's token checks and look-ups are a round trip each. Made from the
    event loop on these connections (psycopg's asyncio interface and pool),
    they need no hand-over to a thread of the pool and back, which under load
    cost more than the reads themselves and left requests waiting for the
    threads' turns at the interpreter. The connections are in autocommit, as
    ``plain_reader`` lends them, and are not pinged when lent: a read that
    finds its connection dead (the server restarted) runs once more on a new
    one.
    """

    def __init__(self, engine: Engine, size: int = ASYNC_READ_CONNECTIONS) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("reads from the event loop are for PostgreSQL")
        url = engine.url.set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self._dialect = engine.dialect
        self._size = size
        self._pool: Any = None
        self._driver_error: type[Exception] = Exception

    async def open(self) -> None:
        """Open the pool (connections are made as reads need them)."""
        import psycopg
        from psycopg_pool import AsyncConnectionPool

        self._driver_error = psycopg.Error
        self._pool = AsyncConnectionPool(
            self.conninfo,
            min_size=1,
            max_size=self._size,
            open=False,
            configure=_autocommit,
            name="muster-reads",
        )
        await self._pool.open()

    async def close(self) -> None:
        """Close every connection."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def run(self, read: PlainRead[T]) -> T:
        """Run a read of one statement on a connection of the pool; return its answer."""
        try:
            return await self._run_once(read)
        except ConnectionLostError as exc:
            logger.info("%s; reading again on a new connection", exc)
        return await self._run_once(read)

    async def _run_once(self, read: PlainRead[T]) -> T:
        async with self._pool.connection() as connection:
            try:
                return await AsyncPlainReader(connection, self._dialect).run(read)
            except self._driver_error as exc:
                # The pool drops a closed or broken connection when it comes back.
                if connection.closed or connection.broken:
                    raise ConnectionLostError(
                        f"the connection to the CMDB database was lost: {exc}"
                    ) from exc
                raise


async def _autocommit(connection: Any) -> None:
    await connection.set_autocommit(True)
