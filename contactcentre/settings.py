"""Settings: one typed object read from `CC_*` variables and an optional TOML file.

The only module that reads the environment; each component gets its own section.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

ENV_PREFIX = "CC_"


class SettingsError(Exception):
    """Settings could not be loaded; the message names every bad setting, one a line."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListenAddress(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)


class HttpSettings(ListenAddress):
    port: int = Field(default=8080, ge=0, le=65535)
    trusted_proxies: list[IPvAnyNetwork] = Field(default_factory=list)
    """Reverse proxies (addresses or networks) whose X-Forwarded-For header names
    the client, e.g. ["10.0.0.2/32"]; none by default: the header is ignored and
    the peer's address is the client's (login throttling keys on it)."""


class AgiSettings(ListenAddress):
    port: int = Field(default=4573, ge=0, le=65535)
    allow_from: list[IPvAnyNetwork] = Field(default_factory=list)
    """Networks Asterisk may connect from besides the `pbxs` hosts (resolved),
    e.g. when it reaches FastAGI from another address than its AMI host."""


class PbxSettings(_Section):
    """One Asterisk server reached over AMI."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = "cc"
    secret: SecretStr = SecretStr("")
    """The AMI user's secret in manager.conf; `serve` refuses an empty one (the
    demo makes one up for its in-process simulator)."""
    connect_timeout_s: float = Field(default=5.0, gt=0)
    action_timeout_s: float = Field(default=10.0, gt=0)


class DatabaseSettings(_Section):
    url: str = "sqlite+aiosqlite:///./var/contactcentre.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return url


class RedisSettings(_Section):
    url: str | None = None


class CrmSettings(_Section):
    attachments_dir: Path = Path("var/attachments")
    attachment_max_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    archive_after_days: int = Field(default=90, ge=1)
    """Closed appeals are archived (still searchable) after this many days."""
    sla_check_interval_s: float = Field(default=60.0, gt=0)
    cookie_secure: bool | None = None
    """Send the session cookie only over HTTPS. Unset: on under `serve`, off in the
    demo (http://127.0.0.1); set false for a deployment served over plain HTTP."""
    webhook_internal_networks: list[IPvAnyNetwork] = Field(default_factory=list)
    """Internal networks (loopback, private, link-local...) webhooks may target all
    the same, e.g. ["10.20.0.0/16"] for a receiver on the LAN; none by default."""


class SmtpSettings(_Section):
    """The mail server customer e-mail notices go through; without `host`, e-mail
    notices wait (queued, with the reason) until one is set."""

    host: str | None = None
    port: int = Field(default=25, ge=1, le=65535)
    from_address: str | None = None
    """The From of every notice; required with `host`."""
    starttls: bool = False
    login: str | None = None
    password: SecretStr | None = None

    @model_validator(mode="after")
    def _sender_with_host(self) -> SmtpSettings:
        if self.host and not self.from_address:
            raise ValueError(
                "from_address (CC_SMTP__FROM_ADDRESS) is required with host"
            )
        return self


class RecordingSettings(_Section):
    keep_days: int = Field(default=0, ge=0)
    """Recordings older than this are deleted; 0 keeps them for ever."""
    retention_check_s: float = Field(default=3600.0, gt=0)
    pbx_directory: str | None = None
    """Where Asterisk sees the recordings directory, if it mounts it elsewhere."""


class JournalSettings(_Section):
    """The journal of call records (contacts, IVR records, wrap-ups, recordings)
    waiting for the database, kept under `data_dir/journal`."""

    max_held: int = Field(default=10_000, ge=1)
    """Records kept in memory while the database is away (a few kilobytes each);
    past this, new ones wait on disk only and are read back in order: none is
    dropped."""
    concurrency: int = Field(default=4, ge=1, le=64)
    """Calls whose records are written at the same time (each call's in order)."""


class IvrSettings(_Section):
    flows_dir: Path | None = None
    """YAML flows to publish at start; None: the shipped demo flows."""
    sounds_dir: Path = Path("var/sounds")
    """The sounds directory Asterisk reads (`<astdatadir>/sounds`), as mounted here:
    the service writes what Asterisk plays under its `cc/` folder (TTS prompts,
    the flows' prompts made from their text) and checks on each PBX's first call
    that Asterisk sees them."""
    contact_wait_s: float = Field(default=1.0, ge=0)
    """How long the `inbound` script waits for the call's contact to be written
    before the first prompt; past it the IVR starts and the contact follows."""
    asr_models: dict[str, Path] = Field(default_factory=dict)
    """Language -> vosk model directory; none: menus take keys only."""
    asr_max_concurrent: int = Field(default=2, ge=1)
    tts_voices: dict[str, str] = Field(
        default_factory=lambda: {"en": "gmw/en", "ru": "zle/ru", "ko": "ko"}
    )
    tts_rate_wpm: int = Field(default=160, ge=80, le=400)
    tts_job_timeout_s: float = Field(default=10.0, gt=0)
    currency: str = "RUB"


class LimitSettings(_Section):
    """One wallboard figure's limits: amber from `warning`, red from `alarm`."""

    warning: float = Field(ge=0)
    alarm: float = Field(ge=0)


class ThresholdSettings(_Section):
    """A queue's wallboard limits. Each one left unset comes from the queue's
    service-level target (acd/thresholds.py): the longest wait warns from
    `service_level_s` and alarms from three times it, the service level warns
    under `target_level` and alarms ten points under it, and so on."""

    waiting: LimitSettings | None = None
    """Callers waiting."""
    longest_wait_s: LimitSettings | None = None
    """Also the limit of the "caller waiting" alert (its alarm)."""
    service_level: LimitSettings | None = None
    """0..1, breached by falling: warning above alarm. Its alarm is the limit of
    the "service level" alert."""
    abandonment: LimitSettings | None = None
    """0..1, the share of answered and abandoned calls abandoned."""
    speed_of_answer_s: LimitSettings | None = None
    handle_time_s: LimitSettings | None = None
    occupancy: LimitSettings | None = None
    """0..1."""
    min_calls: int = Field(default=5, ge=0)
    """Service level and abandonment are judged from this many calls in the
    interval."""

    @model_validator(mode="after")
    def _in_order(self) -> ThresholdSettings:
        for name in type(self).model_fields:
            limit = getattr(self, name)
            if not isinstance(limit, LimitSettings):
                continue
            falling = name == "service_level"
            if (
                (limit.warning < limit.alarm)
                if falling
                else (limit.warning > limit.alarm)
            ):
                order = "at or above" if falling else "at or below"
                raise ValueError(f"{name}: the warning must be {order} the alarm")
        return self


class QueueSettings(_Section):
    id: str = Field(min_length=1)
    ring_timeout_s: float = Field(default=15.0, gt=0)
    wrap_up_s: float = Field(default=10.0, ge=0)
    service_level_s: float = Field(default=20.0, gt=0)
    target_level: float = Field(default=0.8, gt=0, le=1)
    """The service-level target: this share of calls answered within
    `service_level_s`."""
    max_wait_s: float | None = Field(default=None, gt=0)
    thresholds: ThresholdSettings = ThresholdSettings()


class SeatSettings(_Section):
    """An agent the ACD may route to: their login, phone endpoint and skills."""

    login: str = Field(min_length=1)
    endpoint: str = Field(min_length=1)
    queues: list[str] = Field(default_factory=list)
    skills: dict[str, int] = Field(default_factory=dict)
    languages: list[str] = Field(default_factory=list)
    pbx: str | None = None
    """The id (in `pbxs`) of the Asterisk the phone is registered on: the agent
    takes only that PBX's calls. None: the first PBX."""


def _default_queues() -> list[QueueSettings]:
    return [QueueSettings(id=q) for q in ("billing", "support", "sales", "general")]


def _pause_limits() -> dict[str, float]:
    return {
        "lunch": 3600.0, "training": 7200.0, "after_call_work": 300.0,
        "outbound_call": 1800.0, "no_answer": 120.0, "disconnected": 300.0,
    }  # fmt: skip


class AlertSettings(_Section):
    """When the wallboard alerts about a pause (the queues' alerts follow their
    thresholds' alarms)."""

    pause_s: float = Field(default=900.0, gt=0)
    """A pause for a reason not listed below alerts after this long."""
    pause_by_reason_s: dict[str, float] = Field(default_factory=_pause_limits)


class AcdSettings(_Section):
    queues: list[QueueSettings] = Field(default_factory=_default_queues)
    seats: list[SeatSettings] = Field(default_factory=list)
    default_queue: str | None = "general"
    """Where a call asking for an unknown queue goes (None: refused)."""
    announce_every_s: float | None = Field(default=30.0, gt=0)
    presence_grace_s: float = Field(default=20.0, ge=0)
    """How long an agent's desktop may be gone (a page reload) before the ACD
    pauses them `disconnected` and takes back a ringing call."""
    callback_attempts: int = Field(default=3, ge=1)
    """Tries to call a caller back before the request becomes an appeal."""
    callback_retry_s: float = Field(default=300.0, gt=0)
    alerts: AlertSettings = AlertSettings()


class SimulatorSettings(_Section):
    """The PBX simulator that `demo` runs in-process."""

    seed: int = 1
    calls_per_minute: float = Field(default=6.0, ge=0)
    agents: int = Field(default=8, ge=0)


def _default_pbxs() -> list[PbxSettings]:
    return [PbxSettings(id="pbx1")]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    pbxs: list[PbxSettings] = Field(default_factory=_default_pbxs)
    agi: AgiSettings = AgiSettings()
    http: HttpSettings = HttpSettings()
    recordings_dir: Path = Path("var/recordings")
    data_dir: Path = Path("var")
    demo_password: SecretStr | None = Field(
        default=None,
        description="the demo users' password; made up once and kept in data_dir "
        "(and logged at every start) if unset",
    )
    default_country: str = Field(default="RU", pattern=r"^[A-Z]{2}$")
    time_zone: str = Field(
        default="UTC",
        description="the centre's time zone (an IANA name such as Europe/Moscow): "
        "the calendar of report periods (today, this week) and the times reports show",
    )
    crm: CrmSettings = CrmSettings()
    smtp: SmtpSettings = SmtpSettings()
    recording: RecordingSettings = RecordingSettings()
    journal: JournalSettings = JournalSettings()
    ivr: IvrSettings = IvrSettings()
    acd: AcdSettings = AcdSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    log_level: str = Field(
        default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$"
    )

    @field_validator("pbxs")
    @classmethod
    def _unique_ids(cls, pbxs: list[PbxSettings]) -> list[PbxSettings]:
        ids = [p.id for p in pbxs]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate PBX id(s): {', '.join(duplicates)}")
        return pbxs

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"no time zone {name!r} (e.g. Europe/Moscow)") from None
        return name

    @model_validator(mode="after")
    def _seats_on_known_pbxs(self) -> Settings:
        ids = {p.id for p in self.pbxs}
        unknown = sorted({s.pbx for s in self.acd.seats if s.pbx and s.pbx not in ids})
        if unknown:
            raise ValueError(f"seat PBX id(s) not in pbxs: {', '.join(unknown)}")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def masked(self) -> dict[str, Any]:
        """The settings as JSON-ready data with secrets masked, for the start-up log."""
        return self.model_dump(mode="json")


def load_settings(file: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings from `CC_*` variables, then `file` (TOML), then defaults.

    Raises SettingsError naming every bad setting by its variable name.
    """
    if file is not None and not file.is_file():
        raise SettingsError(f"settings file {file}: not found")
    cls: type[Settings] = Settings
    if file is not None:
        # pydantic-settings reads the TOML path from the class's config
        config = SettingsConfigDict(**{**Settings.model_config, "toml_file": file})
        cls = type("FileSettings", (Settings,), {"model_config": config})
    try:
        return cls(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    except SourceError as exc:  # a variable that should hold JSON does not
        lines = _malformed_json(Settings, os.environ)
        raise SettingsError("\n".join(lines) or f"settings: {exc}") from None
    except ValueError as exc:  # a TOML syntax error
        raise SettingsError(f"settings: {exc}") from None


def serve_problems(settings: Settings) -> list[str]:
    """What `serve` refuses that the demo accepts, one line each, named by variable."""
    return [
        f"{ENV_PREFIX}PBXS: PBX {pbx.id!r} has no secret: set the AMI user's secret "
        "from manager.conf (there is no default)"
        for pbx in settings.pbxs
        if not pbx.secret.get_secret_value()
    ]


def _malformed_json(model: type[BaseModel], environ: Mapping[str, str]) -> list[str]:
    """`CC_*` variables whose field takes JSON (a list, a table, a section) but whose
    value does not parse, each named: pydantic-settings names only the section."""
    lines = []
    for name, value in sorted(environ.items()):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        annotation = _annotation_at(model, path)
        if annotation is None or not _takes_json(annotation):
            continue
        try:
            json.loads(value)
        except ValueError as exc:
            lines.append(f"{name.upper()}: not valid JSON ({exc}; got {value!r:.60})")
    return lines


def _annotation_at(model: type[BaseModel], path: list[str]) -> Any:
    annotation: Any = model
    for part in path:
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        field = annotation.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
    return annotation


def _takes_json(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_takes_json(a) for a in get_args(annotation) if a is not type(None))
    if origin in (list, dict, tuple, set, frozenset):
        return True
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        location = "__".join(str(part) for part in error["loc"]).upper()
        value = error.get("input")
        shown = "" if isinstance(value, dict | list) else f" (got {value!r:.60})"
        lines.append(f"{ENV_PREFIX}{location}: {error['msg']}{shown}")
    return "\n".join(lines)
