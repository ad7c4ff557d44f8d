"""The CMDB's engines: connection pooling on PostgreSQL."""

from typing import Any

from muster.cmdb.db import Database


def _server_process(connection: Any) -> int:
    return int(connection.dbapi_connection.info.backend_pid)


def test_postgres_pool_keeps_the_connections_of_a_busy_server(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        # 16 API requests in flight, each reading on a connection of its own.
        held = [database.engine.raw_connection() for _ in range(16)]
        first = {_server_process(connection) for connection in held}
        for connection in held:
            connection.close()
        held = [database.engine.raw_connection() for _ in range(16)]
        second = {_server_process(connection) for connection in held}
        for connection in held:
            connection.close()
    finally:
        database.dispose()
    # The same 16 server processes: none was closed on return and opened again.
    assert len(first) == 16
    assert second == first
