"""The flow every inbound call gets when no IVR flow is published for its number:
a greeting, one key for the department, then the waiting context for the ACD.

Never leaves a caller in silence: a missing prompt or a key nobody mapped still
ends in the general queue.
"""

from __future__ import annotations

import logging

from ivr.dialogue import SoundFile, Tts
from ivr.playing import Prompter, Unplayed
from telephony.dialplan import QUEUE_VARIABLE, WAIT_CONTEXT, WAIT_EXTEN

log = logging.getLogger(__name__)

GREETING = SoundFile(
    name="custom/welcome",
    text=Tts(
        text="Welcome. For billing, press 1. For technical support, press 2. "
        "For sales, press 3.",
        language="en",
    ),
)
QUEUES = {"1": "billing", "2": "support", "3": "sales"}
DEFAULT_QUEUE = "general"
KEY_TIMEOUT_MS = 5000


async def greet_and_queue(prompter: Prompter) -> None:
    """Answer, read one key for the department, and move the caller to the waiting
    context with `CC_QUEUE` set."""
    session = prompter.session
    request = session.request
    await session.answer()
    result = await prompter.get_data(GREETING, KEY_TIMEOUT_MS, 1)
    key = "" if isinstance(result, Unplayed) else result.digits
    queue = QUEUES.get(key, DEFAULT_QUEUE)
    log.info("call uniqueid=%s chose key=%r queue=%s", request.uniqueid, key, queue)
    await session.set_variable(QUEUE_VARIABLE, queue)
    await session.set_context(WAIT_CONTEXT)
    await session.set_extension(WAIT_EXTEN)
    await session.set_priority(1)
