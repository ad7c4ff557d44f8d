"""The TOML configuration: validated with clear errors, applied into the CMDB, secrets kept out."""

from pathlib import Path

import pytest
from pydantic import SecretStr

from muster.cmdb.db import Database
from muster.cmdb.errors import ConfigurationError
from muster.cmdb.sites import get_site, upsert_site
from muster.collector.config import apply_config, load_config
from muster.collector.credentials import resolve_credentials

CONFIG = """
[defaults]
rate_limit = 200

[[site]]
code = "Lincoln-ES"
name = "Lincoln Elementary"
subnets = ["10.10.0.0/22"]
exclude = ["10.10.0.1", "10.10.3.0/24"]
priority = 10
ports = [22, 9100]
schedule = "0 6 * * 1-5"

[[site.snmp]]
version = "2c"
community_env = "LINCOLN_RO"

[[site.snmp]]
version = "3"
user = "muster"
auth_protocol = "sha"
auth_key_file = "{key_file}"
priv_protocol = "aes128"
priv_key_env = "LINCOLN_PRIV"

[[site]]
code = "roosevelt-ms"
subnets = ["10.20.0.0/22"]
rate_limit = 50
profile = "quick"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "muster.toml"
    path.write_text(text)
    return path


def test_apply_config_writes_sites_with_defaults_and_overrides(
    database: Database, tmp_path: Path
) -> None:
    config = load_config(write(tmp_path, CONFIG.format(key_file=tmp_path / "auth.key")))

    with database.session(writer=True) as session:
        codes = apply_config(session, config)
    with database.session() as session:
        lincoln = get_site(session, "lincoln-es")
        roosevelt = get_site(session, "roosevelt-ms")
        assert codes == ["lincoln-es", "roosevelt-ms"]
        assert [s.cidr for s in lincoln.subnets] == ["10.10.0.0/22"]
        assert [e.cidr for e in lincoln.exclusions] == ["10.10.0.1/32", "10.10.3.0/24"]
        assert (lincoln.rate_limit, lincoln.priority, lincoln.ports) == (200, 10, [22, 9100])
        assert lincoln.schedule == "0 6 * * 1-5"
        assert [
            (c.version, c.community, c.user, c.auth_key, c.priv_key)
            for c in lincoln.snmp_credentials
        ] == [
            ("2c", "env:LINCOLN_RO", None, None, None),
            ("3", None, "muster", f"file:{tmp_path / 'auth.key'}", "env:LINCOLN_PRIV"),
        ]
        assert (roosevelt.rate_limit, roosevelt.profile, roosevelt.name) == (
            50,
            "quick",
            "roosevelt-ms",
        )


def test_apply_config_again_replaces_what_the_file_declares(
    database: Database, tmp_path: Path
) -> None:
    with database.session(writer=True) as session:
        upsert_site(session, "lincoln-es", name="Old name", subnets=["10.99.0.0/24"])
        upsert_site(session, "other", name="Untouched", subnets=["10.50.0.0/24"])
    config = load_config(write(tmp_path, CONFIG.format(key_file="/k")))

    with database.session(writer=True) as session:
        apply_config(session, config)
    with database.session() as session:
        lincoln = get_site(session, "lincoln-es")
        assert (lincoln.name, [s.cidr for s in lincoln.subnets]) == (
            "Lincoln Elementary",
            ["10.10.0.0/22"],
        )
        assert [s.cidr for s in get_site(session, "other").subnets] == ["10.50.0.0/24"]


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ('subnets = ["10.0.0.0/33"]', "subnet '10.0.0.0/33' is not valid"),
        (
            'subnets = ["8.8.8.0/24"]',
            "subnet 8.8.8.0/24 is public address space: set allow_public",
        ),
        ('profile = "everything"', "profile 'everything' is not known: use one of liveness"),
        ('schedule = "every morning"', "schedule 'every morning' is not a cron expression"),
        ("colour = 3", "colour: unknown field"),
        ('techniques = ["arp", "smtp"]', "technique 'smtp' is not known"),
    ],
    ids=["bad-cidr", "public", "bad-profile", "bad-cron", "unknown-key", "bad-technique"],
)
def test_load_config_refuses_bad_values_naming_them(
    tmp_path: Path, snippet: str, message: str
) -> None:
    path = write(
        tmp_path,
        f'[[site]]\ncode = "x"\nsubnets = ["10.1.0.0/24"]\n{snippet}\n'.replace(
            'subnets = ["10.1.0.0/24"]\nsubnets', "subnets"
        ),
    )

    with pytest.raises(ConfigurationError, match=message):
        load_config(path)


def test_load_config_refuses_a_community_written_in_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[site]]\ncode = "x"\n[[site.snmp]]\nversion = "2c"\ncommunity = "public"\n',
    )

    with pytest.raises(ConfigurationError) as raised:
        load_config(path)

    assert "community_env or community_file" in str(raised.value)
    assert "public" not in str(raised.value)


def test_load_config_refuses_v3_privacy_without_authentication(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[site]]\ncode = "x"\n[[site.snmp]]\nversion = "3"\nuser = "u"\n'
        'priv_protocol = "aes128"\npriv_key_env = "P"\n',
    )

    with pytest.raises(ConfigurationError, match="privacy needs authentication"):
        load_config(path)


def test_resolve_credentials_reads_env_and_files_and_names_what_is_missing(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "auth.key").write_text("auth-secret-1\n")
    monkeypatch.setenv("LINCOLN_RO", "lincoln-secret")
    monkeypatch.delenv("LINCOLN_PRIV", raising=False)
    config = load_config(write(tmp_path, CONFIG.format(key_file=tmp_path / "auth.key")))
    with database.session(writer=True) as session:
        apply_config(session, config)

    with database.session() as session:
        usable, errors = resolve_credentials(
            list(get_site(session, "lincoln-es").snmp_credentials)
        )

    assert [(c.version, c.community) for c in usable] == [("2c", SecretStr("lincoln-secret"))]
    assert repr(usable[0].community) == "SecretStr('**********')"
    assert errors == [
        "SNMP credential 2 (v3 user muster) skipped: environment variable LINCOLN_PRIV is not set"
    ]
