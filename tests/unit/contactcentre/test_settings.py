"""Settings: defaults give the demo; a bad value stops the start with its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from contactcentre.__main__ import main
from contactcentre.settings import SettingsError, load_settings, serve_problems


def test_defaults_give_the_embedded_demo_when_nothing_is_set() -> None:
    settings = load_settings()
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    assert settings.redis.url is None
    assert (settings.agi.host, settings.agi.port) == ("127.0.0.1", 4573)
    assert (settings.http.host, settings.http.port) == ("127.0.0.1", 8080)
    assert [p.id for p in settings.pbxs] == ["pbx1"]


def test_nested_variables_are_read_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC_HTTP__PORT", "9090")
    monkeypatch.setenv("CC_PBXS", '[{"id": "a", "host": "10.0.0.5", "secret": "s"}]')
    settings = load_settings()
    assert settings.http.port == 9090
    assert settings.pbxs[0].host == "10.0.0.5"
    assert settings.pbxs[0].secret.get_secret_value() == "s"


def test_every_bad_value_is_named_when_several_are_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CC_HTTP__PORT", "eighty")
    monkeypatch.setenv("CC_DATABASE__URL", "mysql://db/cc")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    lines = str(caught.value).splitlines()
    assert any(line.startswith("CC_HTTP__PORT:") for line in lines)
    assert any(line.startswith("CC_DATABASE__URL:") for line in lines)


def test_duplicate_pbx_ids_are_refused_when_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CC_PBXS", '[{"id": "a"}, {"id": "a"}]')
    with pytest.raises(SettingsError, match=r"CC_PBXS: .*duplicate PBX id"):
        load_settings()


def test_unknown_setting_in_file_is_refused_when_loaded(tmp_path: Path) -> None:
    file = tmp_path / "cc.toml"
    file.write_text('[http]\nport = 8181\nhots = "x"\n')
    with pytest.raises(SettingsError, match="CC_HTTP__HOTS"):
        load_settings(file)


def test_file_values_apply_when_given(tmp_path: Path) -> None:
    file = tmp_path / "cc.toml"
    file.write_text('[http]\nport = 8181\n[[pbxs]]\nid = "east"\nsecret = "x"\n')
    settings = load_settings(file)
    assert settings.http.port == 8181
    assert [p.id for p in settings.pbxs] == ["east"]


def test_secrets_are_masked_when_settings_are_logged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CC_PBXS", '[{"id": "a", "secret": "topsecret"}]')
    assert "topsecret" not in repr(load_settings().masked())


def test_cli_exits_with_one_clear_line_when_a_setting_is_bad(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CC_HTTP__PORT", "-1")
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "CC_HTTP__PORT" in err


def test_missing_settings_file_is_named_when_given(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"nope\.toml: not found"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CC_PBXS", "notjson"), ("CC_ACD__SEATS", "[{"), ("CC_IVR__ASR_MODELS", "ko")],
)
def test_the_variable_is_named_when_its_json_is_malformed(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("CC_ACD__DEFAULT_QUEUE", "general")  # plain text: not JSON
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{variable}: not valid JSON (")


def test_serve_refuses_a_pbx_without_secret_when_the_demo_would_not(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert serve_problems(load_settings()) == [
        "CC_PBXS: PBX 'pbx1' has no secret: set the AMI user's secret from "
        "manager.conf (there is no default)"
    ]
    assert main(["serve"]) == 2
    assert "CC_PBXS: PBX 'pbx1' has no secret" in capsys.readouterr().err
    monkeypatch.setenv("CC_PBXS", '[{"id": "pbx1", "secret": "s"}]')
    assert serve_problems(load_settings()) == []


def test_smtp_needs_a_from_address_when_a_host_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CC_SMTP__HOST", "mail.example.org")
    with pytest.raises(SettingsError, match="CC_SMTP__FROM_ADDRESS"):
        load_settings()
    monkeypatch.setenv("CC_SMTP__FROM_ADDRESS", "cc@example.org")
    assert load_settings().smtp.host == "mail.example.org"
