"""The shape of an IVR flow document (YAML, or a JSON body) as Pydantic checks it at
the boundary: one model per node kind, the calendar and the flow. ivr.flow turns a
checked document into the frozen model and checks the rest on the built graph.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ivr.crm_port import DEFAULT_METER
from ivr.model import LookupKind

_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PromptIn(_In):
    file: str | None = Field(default=None, pattern=r"^[\w\-/]+$")
    say: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _something(self) -> PromptIn:
        if self.file is None and self.say is None:
            raise ValueError(
                "a prompt is a `file`, a `say` text, or a `file` with the `say` "
                "text it speaks (spoken instead when the file is missing)"
            )
        return self


class ChoiceIn(_In):
    key: str | None = Field(default=None, pattern=r"^[0-9*#]$")
    say: list[Annotated[str, Field(min_length=1)]] = []
    goto: str
    label: str | None = None

    @model_validator(mode="after")
    def _some_way(self) -> ChoiceIn:
        if self.key is None and not self.say:
            raise ValueError("a choice needs a `key` or spoken words in `say`")
        return self


class AnswerIn(_In):
    key: str | None = Field(default=None, pattern=r"^[0-9*#]$")
    say: list[Annotated[str, Field(min_length=1)]] = []
    value: str = Field(min_length=1)


_Timeout = Annotated[float, Field(gt=0, le=60)]
_Retries = Annotated[int, Field(ge=0, le=10)]
_Confidence = Annotated[float, Field(ge=0, le=1)]
_Ident = Annotated[str, Field(pattern=_IDENT)]
Prompts = Annotated[list[PromptIn], Field(min_length=1)]


class PlayIn(_In):
    kind: Literal["play"]
    files: list[Annotated[str, Field(pattern=r"^[\w\-/]+$")]] = Field(min_length=1)
    next: str


class SayIn(_In):
    kind: Literal["say"]
    text: str = Field(min_length=1)
    next: str


class MenuIn(_In):
    kind: Literal["menu"]
    prompt: Prompts
    choices: list[ChoiceIn] = Field(min_length=1)
    timeout_s: _Timeout = 5.0
    retries: _Retries = 2
    invalid_prompt: list[PromptIn] = []
    no_input_prompt: list[PromptIn] = []
    default: str
    min_confidence: _Confidence | None = None


class StoreReadingIn(_In):
    meter: str = Field(default=DEFAULT_METER, pattern=r"^[\w\-]{1,40}$")
    failed_prompt: Prompts
    """What the caller hears when the reading cannot be stored."""
    on_error: str | None = None
    """Where the flow goes then; the flow's operator when not set."""


class CollectIn(_In):
    kind: Literal["collect"]
    prompt: Prompts
    into: _Ident
    min_digits: int = Field(default=1, ge=1, le=32)
    max_digits: int = Field(default=16, ge=1, le=32)
    terminator: Literal["", "#", "*"] = "#"
    speech: bool = False
    confirm: bool = False
    confirm_prompt: list[PromptIn] = []
    timeout_s: _Timeout = 7.0
    retries: _Retries = 2
    min_confidence: _Confidence | None = None
    store_reading: StoreReadingIn | None = None
    """Store the confirmed value as a meter reading of the caller."""
    next: str
    on_failure: str

    @model_validator(mode="after")
    def _lengths(self) -> CollectIn:
        if self.min_digits > self.max_digits:
            raise ValueError("min_digits is more than max_digits")
        if self.confirm and not self.confirm_prompt:
            raise ValueError("confirm needs a confirm_prompt (1 = yes, 2 = no)")
        return self


class LookupIn(_In):
    kind: Literal["lookup"]
    lookup: LookupKind
    into: _Ident | None = None
    next: str
    on_failure: str | None = None


class CaseIn(_In):
    when: str
    goto: str


class BranchIn(_In):
    kind: Literal["branch"]
    cases: list[CaseIn] = Field(min_length=1)
    otherwise: str = Field(alias="else")


class SetIn(_In):
    kind: Literal["set"]
    values: dict[_Ident, str] = Field(min_length=1)
    next: str


class QueueIn(_In):
    kind: Literal["queue"]
    queue: str = Field(min_length=1)
    skills: list[str] = []
    priority: int = Field(default=0, ge=0, le=100)


class VoicemailIn(_In):
    kind: Literal["voicemail"]
    topic: str = Field(min_length=1)
    prompt: list[PromptIn] = []
    max_duration_s: float = Field(default=120, gt=0, le=600)


class CallbackIn(_In):
    kind: Literal["callback"]
    queue: str = Field(min_length=1)
    number: str = "{call.caller}"
    next: str


class SurveyIn(_In):
    kind: Literal["survey"]
    question: _Ident
    prompt: Prompts
    answers: list[AnswerIn] = Field(min_length=1)
    timeout_s: _Timeout = 5.0
    retries: _Retries = 1
    next: str


class TransferIn(_In):
    kind: Literal["transfer"]
    number: str = Field(pattern=r"^\+?[0-9]{2,20}$")


class HangupIn(_In):
    kind: Literal["hangup"]


NodeIn = Annotated[
    PlayIn
    | SayIn
    | MenuIn
    | CollectIn
    | LookupIn
    | BranchIn
    | SetIn
    | QueueIn
    | VoicemailIn
    | CallbackIn
    | SurveyIn
    | TransferIn
    | HangupIn,
    Field(discriminator="kind"),
]


class CalendarIn(_In):
    timezone: str = "UTC"
    hours: dict[str, str] = {}
    """"mon-fri": "09:00-18:00", "sat": "10:00-14:00, 15:00-17:00"."""
    holidays: list[date] = []


class FlowIn(_In):
    flow: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    language: Literal["en", "ru", "ko"]
    currency: Literal["RUB", "USD", "EUR", "KRW"] = "RUB"
    numbers: list[Annotated[str, Field(pattern=r"^(\+?[0-9]+|_[0-9XZN.!\[\]\-]+)$")]]
    start: str
    operator: str
    min_confidence: _Confidence = 0.5
    max_steps: int = Field(default=200, ge=10, le=10_000)
    calendar: CalendarIn = CalendarIn()
    nodes: dict[Annotated[str, Field(pattern=_IDENT)], NodeIn] = Field(min_length=1)
