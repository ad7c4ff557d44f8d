"""A small HTTP server implementing the ingest contract the agent delivers to.

It stands in for ``muster serve`` in the delivery tests until the REST API
lands: ``POST /api/v1/observations`` with a bearer token, an Idempotency-Key
and a gzip-compressed JSON array; a key seen before gets the stored answer
with ``replayed: true``. What it stores lives in a SQLite file, so a killed
and restarted server remembers it, as the real one does. Run as a script:

    python contract_server.py --db FILE --token TOKEN --port-file FILE [--port N]
        [--hold SECONDS] [--status CODE] [--fail-first N] [--cert PEM --key PEM]

``--hold`` waits after storing an inventory and before answering, so a test
can kill the server between the two (a lost acknowledgement); ``--status``
answers every request with that status; ``--fail-first`` answers 503 to the
first N requests; ``--cert`` and ``--key`` serve HTTPS.
"""

import argparse
import gzip
import json
import sqlite3
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PATH = "/api/v1/observations"


class ContractHandler(BaseHTTPRequestHandler):
    """Answers the ingest endpoint as the delivery contract says."""

    server: "ContractServer"

    def do_POST(self) -> None:
        if self.path != PATH:
            self._answer(404, {"detail": f"no route {self.path}"})
            return
        if self.headers.get("Authorization") != f"Bearer {self.server.token}":
            self._answer(401, {"detail": "invalid or missing token"})
            return
        if self.server.take_failure():
            self._answer(503, {"detail": "starting up"}, retry_after="0")
            return
        if self.server.status is not None:
            self._answer(
                self.server.status, {"detail": f"configured to answer {self.server.status}"}
            )
            return
        key = self.headers.get("Idempotency-Key", "")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            observations = json.loads(body)
        except (OSError, ValueError) as exc:
            self._answer(422, {"detail": f"body is not gzip JSON: {exc}"})
            return
        if not key or not isinstance(observations, list):
            self._answer(422, {"detail": "need an Idempotency-Key and a JSON array"})
            return
        answer, replayed = self.server.store(key, body.decode())
        if not replayed and self.server.hold:
            time.sleep(self.server.hold)
        self._answer(200, {**answer, "replayed": replayed})

    def _answer(
        self, status: int, payload: dict[str, Any], retry_after: str | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet; the database is the log."""


class ContractServer(ThreadingHTTPServer):
    """The server, its settings and its SQLite store."""

    def __init__(self, port: int, arguments: argparse.Namespace) -> None:
        super().__init__(("127.0.0.1", port), ContractHandler)
        self.token: str = arguments.token
        self.hold: float = arguments.hold
        self.status: int | None = arguments.status
        self._failures_left: int = arguments.fail_first
        self._lock = threading.Lock()
        self._db = sqlite3.connect(arguments.db, check_same_thread=False, isolation_level=None)
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS inventory (key TEXT PRIMARY KEY, body TEXT, answer TEXT);"
            "CREATE TABLE IF NOT EXISTS request (key TEXT, outcome TEXT);"
        )

    def take_failure(self) -> bool:
        with self._lock:
            if self._failures_left <= 0:
                return False
            self._failures_left -= 1
            self._db.execute("INSERT INTO request VALUES ('', 'failed')")
            return True

    def store(self, key: str, body: str) -> tuple[dict[str, Any], bool]:
        """Store an inventory under its key once; return the answer and whether it was known."""
        with self._lock:
            row = self._db.execute("SELECT answer FROM inventory WHERE key = ?", (key,)).fetchone()
            if row is not None:
                self._db.execute("INSERT INTO request VALUES (?, 'replayed')", (key,))
                return json.loads(row[0]), True
            number = self._db.execute("SELECT count(*) FROM inventory").fetchone()[0] + 1
            answer = {
                "decisions": [
                    {"index": 0, "outcome": "created", "asset_id": number, "asset": f"#{number}"}
                ],
                "counts": {"created": 1, "updated": 0, "unchanged": 0, "conflict": 0},
            }
            self._db.execute(
                "INSERT INTO inventory VALUES (?, ?, ?)", (key, body, json.dumps(answer))
            )
            self._db.execute("INSERT INTO request VALUES (?, 'stored')", (key,))
            return answer, False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--hold", type=float, default=0.0)
    parser.add_argument("--status", type=int, default=None)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    arguments = parser.parse_args()
    server = ContractServer(arguments.port, arguments)
    if arguments.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(arguments.cert, arguments.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port_file = Path(arguments.port_file)
    temporary = port_file.with_suffix(".tmp")
    temporary.write_text(str(server.server_address[1]))
    temporary.replace(port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
