"""Fixtures of the agent tests: the ``muster`` command and a server of the ingest contract."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

MUSTER = Path(sys.executable).with_name("muster")
CONTRACT_SERVER = Path(__file__).with_name("contract_server.py")
TOKEN = "agent-test-token-0123456789"


def agent_environment() -> dict[str, str]:
    """The environment for agent processes: no proxy between them and 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["COLUMNS"] = "200"
    return env


def run_agent(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``muster`` with arguments as a user would, and return what it did."""
    return subprocess.run(
        [str(MUSTER), *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=agent_environment(),
        check=False,
    )


class ContractServerProcess:
    """A contract server run as its own process, which a test can kill and start again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.db = directory / "server.sqlite"
        self.port_file = directory / "port"
        self.port = 0
        self.scheme = "http"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, *options: str) -> None:
        """Start the server (on the port it had before, if it ran before)."""
        self.port_file.unlink(missing_ok=True)
        command = [sys.executable, str(CONTRACT_SERVER), "--db", str(self.db), "--token", TOKEN]
        command += ["--port-file", str(self.port_file), "--port", str(self.port), *options]
        self.process = subprocess.Popen(command, env=agent_environment())
        deadline = time.monotonic() + 10
        while not self.port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the contract server did not start")
            time.sleep(0.02)
        self.port = int(self.port_file.read_text())
        self.scheme = "https" if "--cert" in options else "http"

    def kill(self) -> None:
        """Kill the server at once, as a crash or a power cut would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stored(self) -> dict[str, dict[str, object]]:
        """Return the inventories the server stored, by idempotency key."""
        if not self.db.exists():
            return {}
        with sqlite3.connect(self.db) as connection:
            rows = connection.execute("SELECT key, body FROM inventory").fetchall()
        return {key: json.loads(body)[0] for key, body in rows}

    def requests(self) -> list[tuple[str, str]]:
        """Return every request the server answered: (key, stored | replayed | failed)."""
        if not self.db.exists():
            return []
        with sqlite3.connect(self.db) as connection:
            return connection.execute("SELECT key, outcome FROM request ORDER BY rowid").fetchall()


@pytest.fixture
def contract_server(tmp_path: Path) -> Iterator[ContractServerProcess]:
    """A contract server process, killed at the end of the test whatever happened."""
    server = ContractServerProcess(tmp_path)
    yield server
    server.kill()


def write_config(path: Path, **settings: object) -> Path:
    """Write an agent config file (TOML) with the given settings."""
    lines = []
    for name, value in settings.items():
        text = json.dumps(str(value)) if isinstance(value, str | Path) else json.dumps(value)
        lines.append(f"{name} = {text}")
    path.write_text("\n".join(lines) + "\n")
    return path
