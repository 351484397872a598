"""What an IVR flow says and sees at the caller's current point: templates filled
for speech or as raw values, prompts ready to play, the parameters of a CRM lookup
and the context branch rules are evaluated in. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from crm_core.rules.evaluator import EvalContext
from ivr.dialogue import CallContext, FlowState, Prompt, SoundFile, Tts
from ivr.model import FieldValue, Flow, PromptSpec, Template, TemplateField
from ivr.speech_text import speakable, value_words


def rule_context(flow: Flow, state: FlowState, now: datetime) -> EvalContext:
    """What a branch rule sees: Call (with business hours and holidays from the
    flow's calendar), Customer, Vars and Lookup."""
    calendar = flow.calendar
    local = now.astimezone(calendar.zone)
    holiday = local.date() in calendar.holidays
    open_now = not holiday and any(
        begin <= local.time() < end
        for begin, end in calendar.hours.get(local.weekday(), ())
    )
    call = state.call
    fields: Mapping[str, object] = {
        "Call": {
            "Id": call.call_id,
            "Caller": call.caller,
            "Dialled": call.dialled,
            "InBusinessHours": open_now,
            "Holiday": holiday,
            "Weekday": local.isoweekday(),
            "Hour": local.hour,
            "Minute": local.minute,
        },
        "Customer": {
            **call.customer,
            **{_camel(k): v for k, v in call.customer.items()},
        },
        "Vars": dict(state.values),
        "Lookup": {k: dict(v) for k, v in state.lookups.items()},
    }
    return EvalContext(fields=fields, today=local.date(), now=now)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def render(flow: Flow, state: FlowState, template: Template, *, spoken: bool) -> str:
    """Fill a template. Spoken: literals and values in words for TTS; otherwise the
    raw values (for set and callback numbers). Unknown values render empty."""
    out: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(speakable(part, state.language) if spoken else part)
            continue
        value = _field_value(state, part)
        if not spoken:
            out.append("" if value is None else str(value))
            continue
        style = part.style or _default_style(part)
        out.append(
            value_words(value, state.language, style=style, currency=flow.currency)
        )
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _default_style(item: TemplateField) -> str:
    if item.path in (("call", "caller"), ("call", "dialled"), ("value",)):
        return "digits"
    return ""


def _field_value(state: FlowState, item: TemplateField) -> FieldValue:
    match item.path:
        case ("value",):
            return state.candidate or None
        case ("customer", name):
            return state.call.customer.get(name)
        case ("call", "id"):
            return state.call.call_id
        case ("call", "caller"):
            return state.call.caller
        case ("call", "dialled"):
            return state.call.dialled
        case ("vars", name):
            return state.values.get(name)
        case ("lookup", into, name):
            return state.lookups.get(into, {}).get(name)
        case _:
            return None


def render_prompts(
    flow: Flow, state: FlowState, specs: tuple[PromptSpec, ...]
) -> tuple[Prompt, ...]:
    """The prompts of `specs` at the caller's point: a file keeps its rendered text
    for when the file is missing; a text that renders empty is left out."""
    prompts: list[Prompt] = []
    for spec in specs:
        said = None
        if spec.say is not None:
            text = render(flow, state, spec.say, spoken=True)
            said = Tts(text=text, language=state.language) if text else None
        if spec.file is not None:
            prompts.append(SoundFile(name=spec.file, text=said))
        elif said is not None:
            prompts.append(said)
    return tuple(prompts)


def fixed_text(template: Template, language: str) -> str | None:
    """The words of a template with no fields, as `render` speaks them; None when
    it has fields (what it says depends on the call)."""
    if not all(isinstance(part, str) for part in template.parts):
        return None
    spoken = "".join(speakable(str(part), language) for part in template.parts)
    return re.sub(r"\s+", " ", spoken).strip() or None


def lookup_params(call: CallContext) -> dict[str, str]:
    params = {"call_id": call.call_id, "caller": call.caller}
    for name in ("id", "account", "address", "network_node"):
        value = call.customer.get(name)
        if value is not None:
            params["customer_id" if name == "id" else name] = str(value)
    return params
