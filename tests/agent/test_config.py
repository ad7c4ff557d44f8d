"""Agent settings: the config file, command-line options over it, clear errors."""

from pathlib import Path

import pytest

from muster.agent.config import load_settings, parse_duration
from muster.cmdb.errors import ConfigurationError

CONTRIB = Path(__file__).parents[2] / "contrib" / "agent"


def _empty_config(tmp_path: Path) -> Path:
    config = tmp_path / "agent.toml"
    config.write_text("")
    return config


def test_example_config_file_loads_as_documented() -> None:
    settings = load_settings(CONTRIB / "agent.toml", {})

    assert settings.server == "https://muster.example.org"
    assert settings.token_file == Path("/etc/muster/agent.token")
    assert settings.site == "lincoln-es"
    assert settings.interval == 3600.0
    assert settings.spool_dir == Path("/var/lib/muster-agent/spool")


def test_command_line_options_win_over_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text('server = "https://a.example"\ntoken_file = "/nowhere"\ninterval = "1h"\n')

    settings = load_settings(config, {"server": "https://b.example", "token": "t", "site": None})

    assert settings.server == "https://b.example"
    assert settings.resolve_token() == "t"
    assert settings.interval == 3600.0


def test_misspelt_setting_is_refused_with_the_list_of_settings(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text('sever = "https://a.example"\n')

    with pytest.raises(ConfigurationError, match=r"unknown setting 'sever'; the settings are ca_"):
        load_settings(config, {})


def test_bad_site_code_names_the_setting_and_the_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"site = 'Lincoln ES': not a site code"):
        load_settings(_empty_config(tmp_path), {"site": "Lincoln ES"})


def test_missing_config_file_named_on_the_command_line_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"

    with pytest.raises(ConfigurationError, match=r"config file '.*absent.toml' does not exist"):
        load_settings(missing, {})


def test_token_is_read_from_its_file_and_an_empty_file_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("secret-token\n")
    token_file.chmod(0o600)
    settings = load_settings(_empty_config(tmp_path), {"token_file": token_file})
    assert settings.resolve_token() == "secret-token"

    token_file.write_text("\n")
    with pytest.raises(ConfigurationError, match=r"token file '.*token' is empty"):
        settings.resolve_token()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("15m", 900.0), ("1h", 3600.0), ("1d", 86400.0), (0.5, 0.5)],
    ids=["bare", "seconds", "minutes", "hours", "days", "number"],
)
def test_durations_are_read_in_seconds(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "-5m", "0"], ids=["word", "negative", "zero"])
def test_durations_that_are_not_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
