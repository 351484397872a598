"""Words for the codes the service keeps: agent states, pause reasons, queues,
dispositions, call outcomes, hang-up causes, appeal statuses, customer categories.
Each is a catalogue message id (marked with `N_` so extraction finds it); the
page translates it. Pure.

A code with no entry is shown made readable (`after_call_work` becomes
"After call work"), never as a raw id.
"""

from __future__ import annotations

from collections.abc import Mapping


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it here."""
    return message


AGENT_STATES: Mapping[str, str] = {
    "logged_out": N_("Logged out"),
    "ready": N_("Ready"),
    "reserved": N_("Call coming"),
    "ringing": N_("Ringing"),
    "on_call": N_("On a call"),
    "wrap_up": N_("Wrap-up"),
    "paused": N_("Paused"),
}

PAUSE_REASONS: Mapping[str, str] = {
    "break": N_("Break"),
    "lunch": N_("Lunch"),
    "training": N_("Training"),
    "after_call_work": N_("After-call work"),
    "outbound_call": N_("Outbound call"),
    "other": N_("Other"),
    "no_answer": N_("Missed a call"),
}
CHOOSABLE_PAUSES = ("break", "lunch", "training", "after_call_work", "other")
"""The reasons an agent picks; the others are set by the service."""

DISPOSITIONS: Mapping[str, str] = {
    "resolved": N_("Resolved"),
    "follow_up": N_("Follow-up needed"),
    "escalated": N_("Escalated"),
    "information": N_("Information only"),
    "wrong_number": N_("Wrong number"),
    "other": N_("Other"),
}

QUEUES: Mapping[str, str] = {
    "billing": N_("Billing"),
    "support": N_("Technical support"),
    "sales": N_("Sales"),
    "general": N_("General questions"),
}

OUTCOMES: Mapping[str, str] = {
    "answered": N_("Answered"),
    "abandoned_in_queue": N_("Hung up while waiting"),
    "abandoned_in_ivr": N_("Hung up in the menu"),
    "voicemail": N_("Left a voice message"),
    "callback": N_("Asked to be called back"),
    "transferred_out": N_("Transferred out"),
    "served_in_ivr": N_("Served by the menu"),
    "failed": N_("Failed"),
}

HANGUP_CAUSES: Mapping[int, str] = {
    0: N_("Unknown reason"),
    1: N_("Number does not exist"),
    16: N_("Normal hang-up"),
    17: N_("Line busy"),
    18: N_("No response"),
    19: N_("No answer"),
    21: N_("Call rejected"),
    27: N_("Destination out of order"),
    34: N_("No line available"),
    38: N_("Network out of order"),
    41: N_("Temporary failure"),
}

END_REASONS: Mapping[str, str] = {
    "vanished": N_("The telephone exchange lost the call"),
    "pbx_shutdown": N_("The telephone exchange restarted"),
}

APPEAL_STATUSES: Mapping[str, str] = {
    "waiting": N_("Waiting"),
    "in_progress": N_("In progress"),
    "rejected_back": N_("Returned"),
    "closed": N_("Closed"),
}

APPEAL_QUEUES: Mapping[str, str] = {
    "front": N_("Front office"),
    "tech": N_("Technicians"),
    "bis_tech": N_("Business technicians"),
    "back_office": N_("Back office"),
}
"""Work queues of the appeal routes (the demo's; others are shown readable)."""

CATEGORIES: Mapping[str, str] = {
    "VIP": N_("VIP"),
    "BIS": N_("Business"),
    "mass": N_("Private customer"),
}

CUSTOMER_GROUPS: Mapping[str, str] = {
    "moscow": N_("Moscow"),
    "regions": N_("Regions"),
}
"""The demo's customer groups; a deployment's own groups are shown made readable."""

IVR_OUTCOMES: Mapping[str, str] = {
    "queued": N_("Asked for an agent"),
    "voicemail": N_("Left a voice message"),
    "transferred": N_("Transferred"),
    "flow_ended": N_("Served by the menu"),
    "caller_hung_up": N_("Hung up in the menu"),
    "fallback": N_("Greeted by the standard menu"),
    "failed": N_("The menu failed; sent to an agent"),
}
"""ivr.handoff.Outcome values."""

HEARD_BY: Mapping[str, str] = {
    "dtmf": N_("keypad"),
    "speech": N_("speech"),
}

TRANSFER_MODES: Mapping[str, str] = {
    "blind": N_("Blind"),
    "attended": N_("Attended (talk first)"),
}


def readable(code: str) -> str:
    """A code no table names, as words: `after_call_work` -> `After call work`."""
    text = code.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else ""


def label(table: Mapping[str, str], code: str | None) -> str:
    """The message id for `code` in `table`, or the code made readable."""
    if not code:
        return ""
    return table.get(code) or readable(code)


def cause_label(cause: int | None, text: str | None) -> str:
    """A hang-up cause in words: the table's, else the PBX's own text."""
    if cause is None:
        return ""
    return HANGUP_CAUSES.get(cause) or text or HANGUP_CAUSES[0]


def duration(seconds: float | None) -> str:
    """`m:ss`, or `h:mm:ss` from an hour; empty for None."""
    if seconds is None:
        return ""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


FIELD_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("is required", N_("Fill this in.")),
    ("String should have at least 1 character", N_("Fill this in.")),
    ("Field required", N_("Fill this in.")),
    ("String should have at most", N_("This is too long.")),
    ("not an e-mail address", N_("This is not an e-mail address.")),
    ("digits is too short", N_("This number is too short to dial.")),
    ("longer than E.164 allows", N_("This number is too long to dial.")),
    ("no digits", N_("A phone number needs digits.")),
    (
        "not a number to dial",
        N_("Enter a phone number: digits, with a + in front if it is international."),
    ),
    (
        "unexpected character",
        N_("A phone number holds only digits, spaces, ( ) - and a leading +."),
    ),
    (
        "a country code never starts with 0",
        N_("A phone number in international form does not start with +0."),
    ),
    ("must be a date and time", N_("Enter a date and a time.")),
    (
        "is not a member of queue",
        N_("This person does not work in the appeal's queue."),
    ),
    ("no such active user", N_("Choose one of the people offered.")),
    ("choose appeals first", N_("Tick the appeals first.")),
    ("must be a decimal", N_("Enter a number, such as 12.5.")),
    ("Input should be a valid decimal", N_("Enter a number, such as 12.5.")),
    ("must be a date", N_("Enter a date.")),
    ("must be true or false", N_("Choose yes or no.")),
    ("must be one of the codes of dictionary", N_("Choose one of the values offered.")),
    ("must be a code of dictionary", N_("Choose one of the values offered.")),
    ("is read-only", N_("This cannot be changed here.")),
    ("is no longer offered", N_("This is no longer offered.")),
    ("no such active topic", N_("Choose a topic.")),
    ("is a topic group", N_("Choose a topic within this group.")),
    (
        "is not among the topics this operator may register",
        N_("You may not register appeals on this topic."),
    ),
    (
        "has no published route",
        N_("Appeals cannot be registered on this topic yet: it has no route."),
    ),
    ("no such customer", N_("This customer is not found.")),
    ("no such contact", N_("This call's contact is not found.")),
    ("is taken", N_("This account number belongs to another customer.")),
    (
        "outside the groups you may see",
        N_("You may not create customers in this group."),
    ),
    (
        "must not come before the start of the period",
        N_("The period ends before it starts."),
    ),
    ("makes a period longer than", N_("A report covers at most a year.")),
    ("valid date", N_("Enter a date.")),
    ("valid integer", N_("Enter a whole number.")),
    ("greater than or equal to", N_("This number is too small.")),
    ("less than or equal to", N_("This number is too large.")),
    ("Input should be", N_("Choose one of the values offered.")),
)
"""What the services' validators say, in words a person can act on (first match
wins); a message none matches is shown as `N_("This value is not accepted.")`."""
NOT_ACCEPTED = N_("This value is not accepted.")


def field_problem(message: str) -> str:
    """The message id for a validator's `message` about one field."""
    for fragment, words in FIELD_PROBLEMS:
        if fragment in message:
            return words
    return NOT_ACCEPTED
