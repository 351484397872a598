"""Reading the caller's answers in the IVR: which menu choice keys or words select,
digits entered or said, yes or no to a confirmation, and when speech heard too
unsure turns a node to keypad only. Pure: no I/O, no clock.
"""

from __future__ import annotations

import dataclasses
import re

from ivr.dialogue import Digits, FlowState, Input, NoInput, Speech
from ivr.model import Channel, Choice, CollectNode, MenuNode, SurveyNode
from ivr.spoken_numbers import digits_from_speech

YES_WORDS = {
    "en": ("yes", "yeah", "correct", "right"),
    "ru": ("да", "верно", "правильно"),
    "ko": ("네", "예"),
}
NO_WORDS = {
    "en": ("no", "wrong", "incorrect"),
    "ru": ("нет", "неверно", "неправильно"),
    "ko": ("아니요", "아니오"),
}
CONFIRM_KEY, REDO_KEY = "1", "2"
LOW_CONFIDENCE_LIMIT = 2
"""Low-confidence answers at one node before it asks by keypad only."""


def match_choice(
    state: FlowState,
    node: MenuNode | SurveyNode,
    choices: tuple[Choice, ...],
    event: Input,
) -> tuple[Choice | None, FlowState, str]:
    """The choice an input selects, or None with the state and why to retry."""
    match event:
        case Digits(digits=digits):
            for choice in choices:
                if choice.key is not None and digits[:1] == choice.key:
                    return choice, state, ""
            return None, state, "invalid"
        case Speech(text=text, confidence=confidence):
            threshold = node.min_confidence if isinstance(node, MenuNode) else 0.5
            if text and confidence < threshold:
                return None, _low_confidence(state), "low_confidence"
            heard = _normalise(text)
            for choice in choices:
                if any(_says(heard, word) for word in choice.words):
                    return choice, state, ""
            return None, state, "invalid"
        case NoInput():
            return None, state, "no_input"
        case _:
            return None, state, "invalid"


def digits_heard(
    state: FlowState, node: CollectNode, event: Input
) -> tuple[str | None, FlowState, str]:
    match event:
        case Digits(digits=digits):
            value = digits.split(node.terminator)[0] if node.terminator else digits
        case Speech(text=text, confidence=confidence):
            if text and confidence < node.min_confidence:
                return None, _low_confidence(state), "low_confidence"
            value = digits_from_speech(text) or ""
        case NoInput():
            return None, state, "no_input"
        case _:
            return None, state, "invalid"
    if value.isdigit() and node.min_digits <= len(value) <= node.max_digits:
        return value, state, ""
    return None, state, "invalid"


def confirm_answer(state: FlowState, node: CollectNode, event: Input) -> str:
    """ "yes", "no", or "" when the caller's answer to a confirmation is neither."""
    answer = ""
    match event:
        case Digits(digits=digits):
            answer = {CONFIRM_KEY: "yes", REDO_KEY: "no"}.get(digits[:1], "")
        case Speech(text=text, confidence=confidence) if (
            confidence >= node.min_confidence
        ):
            heard = _normalise(text)
            if any(_says(heard, w) for w in NO_WORDS[state.language]):
                answer = "no"
            elif any(_says(heard, w) for w in YES_WORDS[state.language]):
                answer = "yes"
        case _:
            pass
    return answer


def _low_confidence(state: FlowState) -> FlowState:
    count = state.low_confidence + 1
    return dataclasses.replace(
        state, low_confidence=count, dtmf_only=count >= LOW_CONFIDENCE_LIMIT
    )


def channel_of(event: Input) -> tuple[Channel, float | None]:
    if isinstance(event, Speech):
        return Channel.SPEECH, event.confidence
    return Channel.DTMF, None


def _normalise(text: str) -> str:
    return (
        " "
        + re.sub(r"[^\w]+", " ", text.lower().replace("\u0451", "\u0435")).strip()
        + " "
    )


def _says(heard: str, phrase: str) -> bool:
    return f" {_normalise(phrase).strip()} " in heard
