"""docker-compose.yml read as a deployer would, with the .env docs/deployment.md
asks for: every file it names exists, the settings it gives load and agree with
the Asterisk configuration, the shared volumes sit where both sides look, the
service and Asterisk run as the same ids, the published ports are the ones the
configuration uses, every service has a health check, no secret has a default and
the Asterisk image is an exact release."""

from __future__ import annotations

import re
from typing import Any

import pytest

from contactcentre.settings import Settings, load_settings, serve_problems
from tests.unit.telephony.test_asterisk_config import (
    CONF_DIR,
    DEPLOY_ENV,
    ROOT,
    conf,
    interpolate,
    load_compose,
    section,
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(DEPLOY_ENV)


@pytest.fixture
def settings(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The service's settings exactly as the app container gets them."""
    for key, value in compose["services"]["app"]["environment"].items():
        monkeypatch.setenv(key, str(value))
    return load_settings()


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source (a volume name or a ./path) of each mount."""
    found = {}
    for mount in service.get("volumes", []):
        source, target, *_ = mount.split(":")
        found[target] = source
    return found


def _dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_every_required_secret_stops_compose_when_it_is_not_set() -> None:
    for missing in DEPLOY_ENV:
        env = {k: v for k, v in DEPLOY_ENV.items() if k != missing}
        with pytest.raises(KeyError, match=missing):
            load_compose(env)
    text = (ROOT / "docker-compose.yml").read_text()
    assert "ccsecret" not in text
    assert re.findall(r"\$\{(\w+)", text)
    assert all(op == ":?" for op in re.findall(r"\$\{\w+(:?[-?]?)", text))


def test_every_file_compose_names_exists_when_read(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"app", "postgres", "redis", "asterisk"}
    assert services["app"]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()
    for name, service in services.items():
        for target, source in _mounts(service).items():
            if source.startswith("./"):
                assert (ROOT / source).exists(), (name, source, target)
    mounted = {
        source.removeprefix("./")
        for source in _mounts(services["asterisk"]).values()
        if source.endswith(".conf")
    }
    assert mounted == {str(p.relative_to(ROOT)) for p in CONF_DIR.glob("*.conf")}, (
        "every reference .conf is mounted into the Asterisk container"
    )
    copied = set(re.findall(r"^COPY (\S+)", _dockerfile(), re.MULTILINE))
    assert "constraints.txt" in _dockerfile()
    for source in copied - {"pyproject.toml"}:
        assert (ROOT / source).exists(), source


def test_settings_load_and_agree_with_asterisk_when_composed(
    settings: Settings,
) -> None:
    assert serve_problems(settings) == []
    (pbx,) = settings.pbxs
    manager = conf("manager.conf")
    assert pbx.host == "asterisk"
    assert pbx.port == int(section(manager, "general").value("port"))
    assert pbx.username in {s.name for s in manager}
    assert pbx.secret.get_secret_value() == DEPLOY_ENV["AMI_SECRET"]
    assert settings.database.url.startswith("postgresql+asyncpg://cc:")
    assert DEPLOY_ENV["POSTGRES_PASSWORD"] in settings.database.url
    assert settings.redis.url == "redis://redis:6379/0"
    extensions = conf("extensions.conf")
    assert section(extensions, "globals").value("AGI_HOST") == (
        f"app:{settings.agi.port}"
    )
    # Asterisk runs in another container: FastAGI must not listen on loopback only
    assert settings.agi.host not in ("127.0.0.1", "localhost")
    assert settings.http.host == "0.0.0.0"  # noqa: S104  # published by compose


def test_recordings_and_sounds_are_shared_where_each_side_looks(
    compose: dict[str, Any], settings: Settings
) -> None:
    app = _mounts(compose["services"]["app"])
    asterisk = _mounts(compose["services"]["asterisk"])
    recordings, sounds = str(settings.recordings_dir), str(settings.ivr.sounds_dir)
    assert app[recordings] == asterisk[recordings] == "recordings"
    assert settings.recording.pbx_directory is None  # same path on both sides
    # Asterisk plays sound names relative to its sounds directory
    assert sounds == "/var/lib/asterisk/sounds"
    assert app[sounds] == asterisk[sounds] == "sounds"
    assert app[str(settings.crm.attachments_dir)] == "attachments"
    assert app[str(settings.data_dir)] == "appdata"
    assert asterisk["/var/lib/asterisk/moh"] == "./telephony/asterisk/moh"
    assert (CONF_DIR / "moh" / "cc-hold.wav").is_file()
    assert section(conf("musiconhold.conf"), "default").value("directory") == "moh"
    declared = set(compose["volumes"])
    used = {
        source
        for service in compose["services"].values()
        for source in _mounts(service).values()
        if not source.startswith("./")
    }
    assert used == declared


def test_the_service_writes_as_the_user_asterisk_runs_as_when_composed(
    compose: dict[str, Any], settings: Settings
) -> None:
    dockerfile = _dockerfile()
    uid = re.search(r"useradd [^\n]*--uid (\d+)", dockerfile)
    gid = re.search(r"groupadd [^\n]*--gid (\d+)", dockerfile)
    assert uid is not None
    assert gid is not None
    assert "USER cc" in dockerfile
    app, asterisk = compose["services"]["app"], compose["services"]["asterisk"]
    assert app["user"] == f"{uid[1]}:{gid[1]}"
    assert (asterisk["environment"]["PUID"], asterisk["environment"]["PGID"]) == (
        uid[1], gid[1],
    )  # fmt: skip
    # every directory the service writes is made and owned by cc in the image, so
    # a fresh volume mounted there is the service's too
    made = re.search(r"mkdir -p ([^\n&]+)", dockerfile)
    owned = re.search(r"chown -R cc:cc ([^\n]+)", dockerfile)
    assert made is not None
    assert owned is not None
    for path in (
        settings.data_dir,
        settings.crm.attachments_dir,
        settings.recordings_dir,
        settings.ivr.sounds_dir,
    ):
        made_dirs = made[1].split()
        assert any(d == str(path) or d.startswith(f"{path}/") for d in made_dirs), path
        assert any(str(path).startswith(root) for root in owned[1].split()), path


def test_published_ports_are_the_ones_the_configuration_uses(
    compose: dict[str, Any], settings: Settings
) -> None:
    app, asterisk = compose["services"]["app"], compose["services"]["asterisk"]
    assert app["ports"] == [f"{settings.http.port}:{settings.http.port}"]
    transport = section(conf("pjsip.conf"), "transport-udp")
    sip_port = transport.value("bind").rsplit(":", 1)[1]
    rtp = section(conf("rtp.conf"), "general")
    rtp_range = f"{rtp.value('rtpstart')}-{rtp.value('rtpend')}"
    assert sorted(asterisk["ports"]) == sorted(
        [f"{sip_port}:{sip_port}/udp", f"{rtp_range}:{rtp_range}/udp"]
    )
    for name in ("postgres", "redis"):
        assert "ports" not in compose["services"][name], name


def test_phones_are_told_the_host_address_when_behind_docker_nat(
    compose: dict[str, Any],
) -> None:
    transport = section(conf("pjsip.conf"), "transport-udp")
    subnets = {
        config["subnet"]
        for network in compose["networks"].values()
        for config in (network or {}).get("ipam", {}).get("config", [])
    }
    assert set(transport.values("local_net")) == subnets
    assert transport.value("#include") == "pjsip_nat.conf"
    start = (CONF_DIR / "docker-start.sh").read_text()
    assert "external_media_address" in start
    assert "external_signaling_address" in start
    assert "/etc/asterisk/pjsip_nat.conf" in start
    assert (
        compose["services"]["asterisk"]["environment"]["SIP_ADDRESS"]
        == (DEPLOY_ENV["SIP_ADDRESS"])
    )
    for sec in conf("pjsip.conf"):
        values = dict(sec.entries)
        if "context" in values and (
            values.get("type") == "endpoint" or sec.options == "!"
        ):
            assert values.get("rtp_symmetric") == "yes", sec.name
            assert values.get("direct_media") == "no", sec.name


def test_asterisk_starts_only_with_its_secret_and_its_own_phone_passwords() -> None:
    start = (CONF_DIR / "docker-start.sh").read_text()
    assert start.startswith("#!/bin/sh\n")
    assert "set -eu" in start
    assert "password = change-me" in start  # the shipped passwords are refused
    assert start.rstrip().splitlines()[-1].startswith("exec /usr/sbin/asterisk -f")
    assert "-U asterisk" in start


def test_every_service_has_a_health_check_and_a_restart_policy(
    compose: dict[str, Any],
) -> None:
    for name, service in compose["services"].items():
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name
    app_check = " ".join(compose["services"]["app"]["healthcheck"]["test"])
    assert "/readyz" in app_check
    for name, service in compose["services"]["app"]["depends_on"].items():
        wanted = "service_started" if name == "asterisk" else "service_healthy"
        assert service["condition"] == wanted, name


def test_the_asterisk_image_is_an_exact_release_when_pinned(
    compose: dict[str, Any],
) -> None:
    image = compose["services"]["asterisk"]["image"]
    assert re.fullmatch(
        r"andrius/asterisk:20\.\d+\.\d+_debian-\w+(@sha256:[0-9a-f]{64})?", image
    ), image


def test_interpolation_reads_compose_syntax_when_expanded() -> None:
    env = {"A": "x", "EMPTY": ""}
    assert interpolate("${A}-${B:-d}-$$A-${EMPTY:-e}", env) == "x-d-$A-e"
    with pytest.raises(KeyError, match="B: needed"):
        interpolate("${B:?needed}", env)
    with pytest.raises(KeyError, match="EMPTY"):
        interpolate("${EMPTY:?set it}", env)


def test_env_file_is_never_committed_or_sent_to_the_build_when_ignored() -> None:
    for ignore in (".gitignore", ".dockerignore"):
        assert ".env" in (ROOT / ignore).read_text().split(), ignore
