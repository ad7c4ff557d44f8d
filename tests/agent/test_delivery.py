"""Delivery through outages: every inventory reaches the server once, none is lost.

The agent runs as a user runs it (the ``muster`` command, in its own process)
against a real HTTP server process of the ingest contract, which the tests
kill and start again.
"""

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from muster.cmdb.observation import parse_observation
from tests.agent.conftest import (
    MUSTER,
    TOKEN,
    ContractServerProcess,
    agent_environment,
    run_agent,
    write_config,
)

EXIT_SPOOLED = 75


def _config(tmp_path: Path, server: ContractServerProcess, **extra: object) -> Path:
    settings: dict[str, object] = {
        "server": server.url,
        "token": TOKEN,
        "spool_dir": tmp_path / "spool",
        "retries": 2,
        "retry_delay": 0.05,
    }
    return write_config(tmp_path / "agent.toml", **(settings | extra))


def _spooled(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "spool").glob("*.json.gz"))


def _assert_each_stored_once(server: ContractServerProcess, expected_count: int) -> None:
    stored = server.stored()
    assert len(stored) == expected_count
    for key, body in stored.items():
        assert parse_observation(body).content_hash() == key
    observed = {body["observed_at"] for body in stored.values()}
    assert len(observed) == expected_count
    stored_requests = [key for key, outcome in server.requests() if outcome == "stored"]
    assert sorted(stored_requests) == sorted(stored)


def test_run_through_server_outage_delivers_every_inventory_exactly_once(
    tmp_path: Path, contract_server: ContractServerProcess
) -> None:
    contract_server.start()
    config = str(_config(tmp_path, contract_server))

    for _ in range(2):
        assert run_agent("agent", "run", "--config", config).returncode == 0
    contract_server.kill()
    for _ in range(2):
        down = run_agent("agent", "run", "--config", config)
        assert down.returncode == EXIT_SPOOLED, down.stderr
        assert "will be sent on the next run" in down.stderr
    assert len(_spooled(tmp_path)) == 2

    # The server comes back slow: it stores the oldest waiting inventory, then
    # dies before it can answer, so the agent never hears that it arrived.
    contract_server.start("--hold", "30")
    lost_ack = subprocess.Popen(
        [str(MUSTER), "agent", "run", "--config", config],
        env=agent_environment(),
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while len(contract_server.stored()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    contract_server.kill()
    _, stderr = lost_ack.communicate(timeout=60)
    assert lost_ack.returncode == EXIT_SPOOLED, stderr
    assert len(_spooled(tmp_path)) == 3

    contract_server.start()
    back = run_agent("agent", "run", "--config", config)

    assert back.returncode == 0, back.stderr
    assert back.stdout.count("delivered inventory") == 4
    assert back.stdout.count("(the server had it already)") == 1
    assert _spooled(tmp_path) == []
    _assert_each_stored_once(contract_server, expected_count=6)
    assert [outcome for _, outcome in contract_server.requests()].count("replayed") == 1


def test_daemon_keeps_running_through_server_outage_and_delivers_each_inventory_once(
    tmp_path: Path, contract_server: ContractServerProcess
) -> None:
    contract_server.start()
    config = _config(tmp_path, contract_server, interval="1s", flush_interval=0.3)
    daemon = subprocess.Popen(
        [str(MUSTER), "-v", "agent", "daemon", "--config", str(config)],
        env=agent_environment(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2.5)
        contract_server.kill()
        time.sleep(3)
        waiting = len(_spooled(tmp_path))
        contract_server.start()
        time.sleep(2.5)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, log = daemon.communicate(timeout=60)

    assert daemon.returncode == 0, log
    assert waiting >= 2
    spooled_keys = re.findall(r"spooled inventory ([0-9a-f]{12})", log)
    stored = contract_server.stored()
    assert sorted(key[:12] for key in stored) == sorted(spooled_keys)
    assert len(spooled_keys) >= 4
    assert _spooled(tmp_path) == []
    _assert_each_stored_once(contract_server, expected_count=len(spooled_keys))


def test_run_retries_an_unavailable_server_with_backoff_then_delivers(
    tmp_path: Path, contract_server: ContractServerProcess
) -> None:
    contract_server.start("--fail-first", "2")
    config = str(_config(tmp_path, contract_server, retries=4))

    result = run_agent("agent", "run", "--config", config)

    assert result.returncode == 0, result.stderr
    assert [outcome for _, outcome in contract_server.requests()] == ["failed", "failed", "stored"]
    assert "answered HTTP 503; trying again" in result.stderr
    assert _spooled(tmp_path) == []


def test_run_with_a_wrong_token_keeps_the_inventory_and_says_how_to_fix_it(
    tmp_path: Path, contract_server: ContractServerProcess
) -> None:
    contract_server.start()
    config = write_config(
        tmp_path / "agent.toml",
        server=contract_server.url,
        token="not-the-token",
        spool_dir=tmp_path / "spool",
        retries=3,
    )

    result = run_agent("agent", "run", "--config", str(config))

    assert result.returncode == 1
    assert "refused the token (HTTP 401)" in result.stderr
    assert "stay in the spool" in result.stderr
    assert len(_spooled(tmp_path)) == 1
    assert contract_server.stored() == {}


@pytest.mark.parametrize("status", [413, 422], ids=["too-large", "not-valid"])
def test_run_moves_an_inventory_the_server_refuses_to_the_rejected_folder(
    tmp_path: Path, contract_server: ContractServerProcess, status: int
) -> None:
    contract_server.start("--status", str(status))
    config = str(_config(tmp_path, contract_server))

    result = run_agent("agent", "run", "--config", config)

    assert result.returncode == 1
    assert "refused inventory" in result.stderr
    assert _spooled(tmp_path) == []
    rejected = sorted((tmp_path / "spool-rejected").glob("*.json.gz"))
    assert len(rejected) == 1
    reason = rejected[0].with_name(rejected[0].name + ".reason.txt").read_text()
    assert f"(HTTP {status}): configured to answer {status}" in reason


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "server.pem", directory / "server.key"
    request = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        [*request, *subject, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_run_verifies_the_server_certificate_and_trusts_the_ca_file_given(
    tmp_path: Path, contract_server: ContractServerProcess
) -> None:
    cert, key = _self_signed_certificate(tmp_path)
    contract_server.start("--cert", str(cert), "--key", str(key))
    config = str(_config(tmp_path, contract_server))

    untrusted = run_agent("agent", "run", "--config", config)
    trusted = run_agent("agent", "run", "--config", config, "--ca-file", str(cert))

    assert untrusted.returncode == 1
    assert "could not be verified" in untrusted.stderr
    assert "--ca-file" in untrusted.stderr
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.count("delivered inventory") == 2
    assert _spooled(tmp_path) == []
    _assert_each_stored_once(contract_server, expected_count=2)
