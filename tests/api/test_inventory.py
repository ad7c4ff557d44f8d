"""Third-party agents at /api/v1/inventory: recorded inventories, the injector, the real agent."""

import json
import platform
import socket
import subprocess
import zlib
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from muster.api.inventory import fusioninventory, glpi
from muster.api.inventory.content import to_observation
from muster.cmdb.db import Database
from muster.cmdb.placeholders import is_placeholder_serial
from muster.cmdb.sources import Source
from tests.api.conftest import LiveServer, Tokens, make_tokens

FIXTURES = Path(__file__).parent.parent / "fixtures" / "inventory"
CASES = sorted(path.name for path in FIXTURES.iterdir())
AT = datetime(2026, 11, 2, 8, 15, tzinfo=UTC)
AGENT = "/usr/bin/fusioninventory-agent"


def _mapped(case: str) -> dict[str, object]:
    folder = FIXTURES / case
    if (folder / "inventory.xml").exists():
        _query, device, content = fusioninventory.parse((folder / "inventory.xml").read_bytes())
        source = Source.FUSIONINVENTORY
    else:
        _query, device, content = glpi.parse((folder / "inventory.json").read_bytes())
        source = Source.GLPI
    return to_observation(content, source=source, observed_at=AT, collector=device).to_json_dict()


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_recorded_inventory_maps_to_expected_observation(case: str) -> None:
    expected = json.loads((FIXTURES / case / "expected.json").read_text())

    assert _mapped(case) == expected


@pytest.fixture
def server_tokens(live_server: LiveServer) -> Tokens:
    """Sites and tokens in the live server's CMDB."""
    database = Database(live_server.database_url)
    try:
        return make_tokens(database)
    finally:
        database.dispose()


def _assets(server: LiveServer, tokens: Tokens) -> list[dict[str, object]]:
    response = httpx.get(
        f"{server.url}/api/v1/assets", headers={"Authorization": f"Bearer {tokens.read}"}
    )
    items: list[dict[str, object]] = response.json()["items"]
    return items


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.startswith("fusioninventory")], ids=lambda c: c
)
def test_injector_replaying_inventory_creates_expected_asset(
    live_server: LiveServer, server_tokens: Tokens, case: str
) -> None:
    host = live_server.url.removeprefix("http://")
    url = f"http://muster:{server_tokens.ingest}@{host}/api/v1/inventory"

    for _ in range(2):
        result = subprocess.run(
            [
                "fusioninventory-injector",
                "-v",
                "-f",
                str(FIXTURES / case / "inventory.xml"),
                "-u",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    expected = json.loads((FIXTURES / case / "expected.json").read_text())
    (asset,) = _assets(live_server, server_tokens)
    serial = expected["identifiers"]["serial"]
    # The CMDB keeps a firmware placeholder out of the serial attribute.
    assert asset["serial"] == (None if is_placeholder_serial(serial) else serial)
    assert asset["model"] == expected["attributes"]["model"]
    assert asset["os_name"] == expected["attributes"]["os_name"]
    assert asset["macs"] == sorted(expected["identifiers"]["macs"])


def test_glpi_agent_contact_then_zlib_inventory_creates_asset_at_its_site(
    live_server: LiveServer, server_tokens: Tokens
) -> None:
    url = f"{live_server.url}/api/v1/inventory"
    auth = ("muster", server_tokens.ingest)
    packed = {"Content-Type": "application/x-compress-zlib"}
    contact = {
        "action": "contact",
        "deviceid": "rms-lab-17",
        "name": "GLPI-Agent",
        "version": "1.11",
    }

    answer = httpx.post(
        url, content=zlib.compress(json.dumps(contact).encode()), headers=packed, auth=auth
    )
    inventory = (FIXTURES / "glpi-linux-workstation" / "inventory.json").read_bytes()
    stored = httpx.post(url, content=zlib.compress(inventory), headers=packed, auth=auth)

    assert answer.headers["content-type"] == "application/x-compress-zlib"
    assert json.loads(zlib.decompress(answer.content)) == {
        "status": "ok",
        "expiration": 24,
        "tasks": {"inventory": {"server": "glpi", "version": "1.0"}},
    }
    assert json.loads(zlib.decompress(stored.content)) == {"status": "ok", "expiration": 24}
    (asset,) = _assets(live_server, server_tokens)
    assert (asset["site"], asset["serial"], asset["kind"]) == (
        "roosevelt-ms",
        "MJ0GX7TQ",
        "workstation",
    )


def test_inventory_without_credentials_is_challenged_for_basic(live_server: LiveServer) -> None:
    response = httpx.post(f"{live_server.url}/api/v1/inventory", content=b"<REQUEST/>")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="muster"'


def test_glpi_inventory_for_other_site_with_bound_token_is_refused_in_agent_format(
    live_server: LiveServer, server_tokens: Tokens
) -> None:
    inventory = (FIXTURES / "glpi-linux-workstation" / "inventory.json").read_bytes()

    response = httpx.post(
        f"{live_server.url}/api/v1/inventory",
        content=inventory,
        headers={"Content-Type": "application/json"},
        auth=("muster", server_tokens.lincoln_ingest),
    )

    assert response.status_code == 403
    assert response.json()["status"] == "error"
    assert response.json()["message"].startswith("1 Observations are for sites token")
    assert _assets(live_server, server_tokens) == []


def _agent_setup(folder: Path) -> tuple[Path, Path]:
    """A private state folder and a config for the agent: inventory only, no listener."""
    lib = folder / "lib"
    lib.mkdir()
    state = folder / "state"
    state.mkdir()
    # The agent's state folder is fixed in its setup module; this one points it at ours.
    (lib / "setup.pm").write_text(
        "package setup;\nuse strict;\nuse warnings;\nuse parent qw(Exporter);\n"
        "our @EXPORT = ('%setup');\n"
        "our %setup = (datadir => '/usr/share/fusioninventory', "
        "libdir => '/usr/share/fusioninventory/lib', "
        f"vardir => '{state}');\n1;\n"
    )
    config = folder / "agent.cfg"
    config.write_text(
        "no-httpd = 1\nno-p2p = 1\ntasks = inventory\n"
        "no-task = netdiscovery,netinventory,deploy,esx,wakeonlan,collect\n"
    )
    return lib, config


@pytest.mark.skipif(not Path(AGENT).exists(), reason="scripts/setup --test installs it")
def test_real_fusioninventory_agent_creates_this_host_then_updates_it(
    live_server: LiveServer, server_tokens: Tokens, tmp_path: Path
) -> None:
    lib, config = _agent_setup(tmp_path)
    command = [
        "perl", f"-I{lib}", "-Msetup", AGENT,
        f"--conf-file={config}",
        f"--server={live_server.url}/api/v1/inventory",
        "--user=muster", f"--password={server_tokens.ingest}",
        "--tasks=inventory", "--no-httpd", "--logger=stderr",
    ]  # fmt: skip

    runs = [
        subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        for _ in range(2)
    ]

    for run in runs:
        assert run.returncode == 0, run.stderr
        assert "sending prolog request" in run.stderr
        assert "[error]" not in run.stderr, run.stderr
    (asset,) = _assets(live_server, server_tokens)
    assert asset["hostname"] == socket.gethostname().split(".")[0].lower()
    os_release = dict(
        line.split("=", 1)
        for line in Path("/etc/os-release").read_text().splitlines()
        if "=" in line
    )
    assert asset["os_name"] == os_release["PRETTY_NAME"].strip('"')
    detail = httpx.get(
        f"{live_server.url}/api/v1/assets/{asset['id']}",
        headers={"Authorization": f"Bearer {server_tokens.read}"},
    ).json()
    assert detail["attributes"]["arch"] == platform.machine()
    assert list(detail["seen_by"]) == ["fusioninventory"]
    assert [c["field"] for c in detail["history"]].count("created") == 1
