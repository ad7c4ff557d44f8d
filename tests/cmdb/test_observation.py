"""The Observation contract: what it accepts, how it canonicalises, what it refuses."""

import gc
import json
from typing import Any

import pytest

from muster.cmdb.errors import ObservationError
from muster.cmdb.observation import (
    SCHEMA_ID,
    load_observations,
    observation_json_schema,
    parse_observation,
)

MINIMAL: dict[str, Any] = {
    "schema": SCHEMA_ID,
    "source": "arp",
    "observed_at": "2026-11-02T08:00:00+01:00",
    "identifiers": {"macs": ["00-1B-21-AA-BB-CC"], "ips": ["10.1.0.5"]},
}


def test_parse_observation_canonicalises_macs_times_and_uuids() -> None:
    data = {**MINIMAL, "identifiers": {**MINIMAL["identifiers"],
            "system_uuid": "{4C4C4544-0042-3510-8052-B4C04F4D4E31}"}}  # fmt: skip

    observation = parse_observation(data)

    assert observation.identifiers.macs == ["00:1b:21:aa:bb:cc"]
    assert observation.identifiers.system_uuid == "4c4c4544-0042-3510-8052-b4c04f4d4e31"
    assert observation.observed_at.isoformat() == "2026-11-02T07:00:00+00:00"


def test_content_hash_ignores_key_order_and_notation() -> None:
    reordered = json.loads(json.dumps(MINIMAL))
    reordered["identifiers"] = {"ips": ["10.1.0.5"], "macs": ["001b.21aa.bbcc"]}

    assert parse_observation(reordered).content_hash() == parse_observation(MINIMAL).content_hash()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"color": "red"},
         "obs: color: unknown field; see `muster schema observation` for the fields"),
        ({"schema": "muster.observation/2"},
         "obs: schema: Input should be 'muster.observation/1' (got 'muster.observation/2')"),
        ({"source": "telepathy"},
         "obs: source: Input should be 'agent', 'fusioninventory', 'glpi', 'import', 'snmp', "
         "'nmap', 'tcp', 'arp' or 'icmp' (got 'telepathy')"),
        ({"observed_at": "2026-11-02 08:00"},
         "obs: observed_at: Input should have timezone info (got '2026-11-02 08:00')"),
        ({"identifiers": {"macs": ["00:1b:21"]}},
         "obs: identifiers.macs.0: '00:1b:21' is not a MAC address: expected six octets such "
         "as 00:1a:2b:3c:4d:5e"),
        ({"identifiers": {"ips": ["10.1.0.256"]}},
         "obs: identifiers.ips.0: '10.1.0.256' is not an IP address: expected IPv4 such as "
         "10.1.2.3 or IPv6"),
        ({"attributes": {"kind": "toaster"}},
         "obs: attributes.kind: 'toaster' is not an asset kind: expected one of server, "
         "workstation, laptop, switch, router, firewall, access_point, printer, ups, phone, "
         "camera, projector, storage, unknown"),
        ({"attributes": {"memory_bytes": -1}},
         "obs: attributes.memory_bytes: Input should be greater than or equal to 0 (got -1)"),
        ({"site": "Lincoln Elementary"},
         "obs: site: 'Lincoln Elementary' is not a site code: use up to 32 letters, digits, "
         "'.', '_' or '-', starting with a letter or digit (e.g. lincoln-es)"),
        ({"identifiers": None}, "obs: identifiers: Input should be a valid dictionary or "
         "instance of Identifiers (got None)"),
    ],
    ids=["unknown-field", "schema-version", "source", "naive-time", "short-mac", "bad-ip",
         "kind", "negative-memory", "site-code", "no-identifiers"],
)  # fmt: skip
def test_parse_observation_refuses_bad_field_naming_it(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ObservationError) as caught:
        parse_observation({**MINIMAL, **change}, where="obs")

    assert str(caught.value) == message


def test_parse_observation_folds_kind_words_to_the_vocabulary() -> None:
    observation = parse_observation({**MINIMAL, "attributes": {"kind": "Notebook"}})

    assert observation.attributes.kind == "laptop"


def test_load_observations_reads_json_lines_and_arrays_alike() -> None:
    line = json.dumps(MINIMAL)

    from_lines = load_observations(f"{line}\n\n{line}\n")
    from_array = load_observations(f"[{line}, {line}]")

    assert from_lines == from_array
    assert len(from_lines) == 2


def test_loading_a_large_file_runs_no_garbage_collection() -> None:
    macs = [f"00:1b:21:00:{n >> 8:02x}:{n & 255:02x}" for n in range(20_000)]
    lines = [json.dumps({**MINIMAL, "identifiers": {"macs": [mac]}}) for mac in macs]
    collections: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(record)
    try:
        loaded = load_observations("\n".join(lines))
    finally:
        gc.callbacks.remove(record)

    assert len(loaded) == 20_000
    assert loaded[-1].identifiers.macs == ["00:1b:21:00:4e:1f"]
    # At most the one young collection that runs as the collector comes back;
    # while parsing, hundreds ran.
    assert collections in ([], [0])
    assert gc.isenabled()


def test_load_observations_lists_every_bad_line_and_refuses_all() -> None:
    good = json.dumps(MINIMAL)
    bad_mac = json.dumps({**MINIMAL, "identifiers": {"macs": ["zz"]}})

    with pytest.raises(ObservationError) as caught:
        load_observations(f"{good}\n{bad_mac}\nnot json\n", name="sweep.jsonl")

    assert str(caught.value) == (
        "nothing was ingested; fix these and run again:\n"
        "sweep.jsonl: line 3: not valid JSON: Expecting value\n"
        "sweep.jsonl: line 2: identifiers.macs.0: 'zz' is not a MAC address: expected six "
        "octets such as 00:1a:2b:3c:4d:5e"
    )


def test_published_json_schema_names_the_version_and_required_keys() -> None:
    schema = observation_json_schema()

    assert schema["properties"]["schema"]["const"] == SCHEMA_ID
    assert schema["required"] == ["schema", "source", "observed_at", "identifiers"]
    assert schema["additionalProperties"] is False
