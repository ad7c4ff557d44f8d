"""Opening the CMDB: the database URL, engine settings, sessions and migrations.

SQLite in one file is the default; ``MUSTER_DATABASE_URL`` (or the CLI's
``--database-url``) points at PostgreSQL through psycopg 3. A database with no
tables is brought to the current schema on first use; one at an older schema
is refused until ``muster db upgrade`` is run, so no command writes to a
schema it does not know.
"""

import logging
import os
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from muster.cmdb.errors import ConfigurationError, DatabaseError, SchemaOutOfDateError
from muster.cmdb.plain import ThreadReaders

if TYPE_CHECKING:
    from alembic.config import Config

# The schema revision this version of Muster expects: the head of
# cmdb/migrations (a test holds the two together). Every command checks it, and
# reading it from here spares each of them loading alembic and its scripts.
SCHEMA_REVISION = "0008"

logger = logging.getLogger(__name__)

# PostgreSQL connections kept open per process, and opened beyond them at
# busy times (closed again when returned). The API's sessions run in a thread
# pool, one connection per request at a time: with SQLAlchemy's default of 5,
# a server with 16 requests in flight opened and closed connections all the
# time, each a new server process with cold caches. With the connections of
# the API's reads from the event loop (plain.ASYNC_READ_CONNECTIONS) and the
# one that listens for token changes (cmdb/tokencache.py), two server workers
# use at most 78 of PostgreSQL's default 100.
POSTGRES_POOL_SIZE = 20
POSTGRES_POOL_OVERFLOW = 10
# A pooled PostgreSQL connection that sat idle longer than this is pinged
# before it is lent, and replaced if the server is gone (restarted, say).
# One used more recently is lent as it is: pinging every checkout cost a
# round trip to the server per session, a third of a look-up's time when the
# API's reads went through this pool. Plain reads retry once on a connection
# found dead.
PING_AFTER_IDLE = 1.0

DATABASE_URL_ENV = "MUSTER_DATABASE_URL"
DATA_DIR_ENV = "MUSTER_DATA_DIR"
WRITE_OPTION = "muster_writer"


def default_data_dir() -> Path:
    """Return where the embedded database lives unless told otherwise."""
    if override := os.environ.get(DATA_DIR_ENV):
        return Path(override)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "muster"


def database_url(explicit: str | None = None) -> str:
    """Return the database URL: explicit, else the environment, else the SQLite default."""
    url = explicit or os.environ.get(DATABASE_URL_ENV)
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            # psycopg 3 is the driver Muster ships with.
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{default_data_dir() / 'muster.db'}"


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    # Let SQLAlchemy's "begin" event below issue BEGIN, not the sqlite3 module.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes the write lock up front: two writers that both read first
    # and then try to write would otherwise fail one of them with SQLITE_BUSY.
    if connection.get_execution_options().get(WRITE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(engine: Engine, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a connection idle for over PING_AFTER_IDLE; have the pool replace it if dead."""
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE:
        return
    dialect = engine.dialect
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as exc:
        if dialect.is_disconnect(exc, dbapi_connection, None):
            # The pool discards the connection and lends a new one.
            raise DisconnectionError(f"the connection was closed: {exc}") from exc
        raise


def create_cmdb_engine(url: str, *, pooled: bool = True) -> Engine:
    """Create an engine with Muster's settings for SQLite or PostgreSQL.

    An engine that is not ``pooled`` (SQLite only) opens a new connection each
    time, which any thread may use: see ``Database.loop_readers``.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(
            f"database URL {url!r} is not valid: expected sqlite:///PATH or "
            "postgresql://USER@HOST/DB"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        pooling: dict[str, Any] = {}
        if not pooled:
            pooling = {"poolclass": NullPool, "connect_args": {"check_same_thread": False}}
        engine = create_engine(url, json_serializer=_json_text, **pooling)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(
            url,
            pool_size=POSTGRES_POOL_SIZE,
            max_overflow=POSTGRES_POOL_OVERFLOW,
            json_serializer=_json_text,
        )
        event.listen(engine, "checkin", _idle_from_now)
        event.listen(engine, "checkout", partial(_ping_if_idle, engine))
        return engine
    raise ConfigurationError(
        f"database {parsed.get_backend_name()!r} is not supported: use SQLite or PostgreSQL"
    )


def alembic_config(engine: Engine) -> "Config":
    """Return an Alembic configuration bound to this engine's database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("muster.cmdb") / "migrations"))
    config.attributes["engine"] = engine
    return config


class Database:
    """The CMDB's engine and session factory."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        self.engine = create_cmdb_engine(self.url)
        # SQLite answers indexed reads in microseconds: an event loop makes
        # them itself, on a connection of its own (see ThreadReaders). Not for
        # a database in memory, which a connection of its own would not see.
        in_file = self.engine.url.database not in (None, "", ":memory:")
        self.loop_readers = (
            ThreadReaders(create_cmdb_engine(self.url, pooled=False))
            if self.engine.dialect.name == "sqlite" and in_file
            else None
        )
        # Its connections are closed when the Database goes, or at the latest
        # when the process exits (atexit, which `muster` runs even when it
        # skips the interpreter's teardown): SQLite then folds its write-ahead
        # log back into the database file.
        weakref.finalize(self, _close, self.engine, self.loop_readers)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer_sessions = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, fit for logs and messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def current_revision(self) -> str | None:
        """Return the schema revision the database is at, None when it has none."""
        try:
            with self.engine.connect() as connection:
                if not inspect(connection).has_table("alembic_version"):
                    return None
                revision = connection.execute(text("SELECT version_num FROM alembic_version"))
                return revision.scalar_one_or_none()
        except OperationalError as exc:
            raise DatabaseError(f"cannot open the CMDB at {self.display_url}: {exc.orig}") from exc

    def head_revision(self) -> str | None:
        """Return the newest revision among the migration scripts."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(alembic_config(self.engine)).get_current_head()

    def upgrade(self) -> None:
        """Bring the schema to the current revision."""
        from alembic import command

        logger.info("upgrading the CMDB schema at %s", self.display_url)
        command.upgrade(alembic_config(self.engine), "head")

    def ensure_schema(self) -> None:
        """Create the schema in an empty database; refuse one at an older revision."""
        current = self.current_revision()
        if current == SCHEMA_REVISION:
            return
        if current is None:
            with self.engine.connect() as connection:
                existing = inspect(connection).get_table_names()
            if existing:
                raise DatabaseError(
                    f"the database at {self.display_url} holds tables "
                    f"({', '.join(sorted(existing)[:5])}) but no Muster schema version: "
                    "point MUSTER_DATABASE_URL at an empty database"
                )
            self.upgrade()
            return
        raise SchemaOutOfDateError(
            f"the CMDB at {self.display_url} is at schema {current}, this Muster needs "
            f"{SCHEMA_REVISION}: run `muster db upgrade`"
        )

    @contextmanager
    def session(self, *, writer: bool = False) -> Iterator[Session]:
        """Yield a session that commits on success and rolls back on error.

        A ``writer`` session takes SQLite's write lock when it begins; use it
        for work that reads and then writes, such as ingest.
        """
        session = (self._writer_sessions if writer else self._sessions)()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection, and those of the loop readers."""
        _close(self.engine, self.loop_readers)


def _close(engine: Engine, loop_readers: ThreadReaders | None) -> None:
    engine.dispose()
    if loop_readers is not None:
        loop_readers.close()
