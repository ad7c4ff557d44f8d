"""Fixtures of the collector's tests: the process-wide safety net and the lab district.

Every collector test runs under the safety net: nothing outside loopback and
the lab's 10.77.0.0/16 is ever sent to, and only from inside a ``mstr-``
namespace (or to loopback). The lab is built once per test session, in
namespaces no interface of which is in the machine's own namespace, and
torn down at the end even when tests fail. With ``MUSTER_REQUIRE_LAB=1``
(scripts/test and CI) a lab that cannot be built fails the tests instead of
skipping them.
"""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from muster.collector import scope
from muster.collector.lab import Lab, LabUnavailableError

SAFETY = {"MUSTER_SAFETY_NET": "127.0.0.0/8,10.77.0.0/16", "MUSTER_SAFETY_NETNS": "mstr-"}
REQUIRE_LAB = os.environ.get("MUSTER_REQUIRE_LAB") == "1"
MUSTER = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "muster")


@pytest.fixture(autouse=True)
def safety_net(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Put every collector test under the process-wide safety net."""
    for name, value in SAFETY.items():
        monkeypatch.setenv(name, value)
    scope.set_safety_net(None)
    yield
    scope.set_safety_net(None)


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """The demo district in network namespaces, for the whole session."""
    district = Lab()
    try:
        district.up()
    except LabUnavailableError as exc:
        if REQUIRE_LAB:
            pytest.fail(f"{exc} (MUSTER_REQUIRE_LAB=1)")
        pytest.skip(str(exc))
    try:
        yield district
    finally:
        district.down()


def run_in_lab(lab: Lab, args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    """Run ``muster ARGS`` inside the lab's collector namespace against a database."""
    env = {**os.environ, **lab.environment(), "MUSTER_DATABASE_URL": database_url}
    return subprocess.run(
        lab.in_collector([MUSTER, *args]),
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
