"""The webhook tests' receiver: a real HTTP server process on 127.0.0.1."""

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from muster.tickets.webhook import WebhookSettings

SECRET = "s3cret-shared-with-the-ticket-system"
RECEIVER = Path(__file__).with_name("receiver.py")

Receiver = tuple[str, Path]


@pytest.fixture
def start_receiver(tmp_path: Path) -> Iterator[Callable[..., Receiver]]:
    """Start receivers (URL and log file each); they are stopped after the test."""
    processes: list[subprocess.Popen[str]] = []

    def start(secret: str = SECRET, fail_first: int = 0) -> Receiver:
        log = tmp_path / f"received-{len(processes)}.jsonl"
        env = {"RECEIVER_SECRET": secret, "RECEIVER_FAIL_FIRST": str(fail_first),
               "RECEIVER_LOG": str(log), "PATH": "/usr/bin:/bin"}  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, str(RECEIVER)], env=env, stdout=subprocess.PIPE, text=True
        )
        processes.append(process)
        assert process.stdout is not None
        port = int(process.stdout.readline())
        return f"http://127.0.0.1:{port}/hooks/muster", log

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def webhook_settings(url: str, secret: str = SECRET) -> WebhookSettings:
    """Settings for a receiver, with short pauses between tries."""
    return WebhookSettings(url=url, secret=secret.encode(), first_pause=0.05, timeout=5)


def received_by(log: Path) -> list[dict[str, Any]]:
    """What a receiver logged: each request's status, signature check and body."""
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
