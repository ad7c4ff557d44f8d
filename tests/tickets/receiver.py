"""A webhook receiver run as its own process by the tests, as a ticket system would run one.

It checks each request's X-Muster-Signature (HMAC-SHA256 of the timestamp, a
dot and the raw body, keyed with RECEIVER_SECRET) and timestamp, answers 401
to a bad one, 503 to the first RECEIVER_FAIL_FIRST good ones, 204 after that,
and appends one JSON line per request to RECEIVER_LOG. It prints its port.
"""

import hashlib
import hmac
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SECRET = os.environ["RECEIVER_SECRET"].encode()
FAIL_FIRST = int(os.environ.get("RECEIVER_FAIL_FIRST", "0"))
LOG = Path(os.environ["RECEIVER_LOG"])
TOLERANCE = 300
_lock = threading.Lock()
_good = 0


class Receiver(BaseHTTPRequestHandler):
    """Verifies, records and answers one delivery."""

    def do_POST(self) -> None:
        global _good
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        timestamp = self.headers.get("X-Muster-Timestamp", "")
        given = self.headers.get("X-Muster-Signature", "")
        signed = timestamp.encode() + b"." + body
        expected = "sha256=" + hmac.new(SECRET, signed, hashlib.sha256).hexdigest()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < TOLERANCE
        verified = hmac.compare_digest(expected, given) and fresh
        with _lock:
            if verified:
                _good += 1
            status = 401 if not verified else 503 if _good <= FAIL_FIRST else 204
            record = {
                "status": status,
                "verified": verified,
                "event": self.headers.get("X-Muster-Event"),
                "delivery": self.headers.get("X-Muster-Delivery"),
                "body": json.loads(body) if verified else None,
            }
            with LOG.open("a", encoding="utf-8") as log:
                log.write(json.dumps(record) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test's output clean."""


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    print(server.server_address[1], flush=True)
    server.serve_forever()
