"""The ChanSpy application of the simulated dialplan, as Asterisk 20's
app_chanspy runs it for a channel named in full (option `u`): the spying channel
is answered, the named channel found (none: ChanSpy gives up and the channel hangs
up), `ChanSpyStart` says the spying began, and it lasts until either side hangs
up; `ChanSpyStop` then names the spyer alone (Asterisk publishes it without the
spyee). With `E` the dialplan goes on once the spied-on channel hangs up.

Audio is not modelled: listening, whispering (`w`) and barging (`B`) are the
same events, the mode being in the application's options.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from telephony.sim.dialplan import Dialplan, Line

Ended = Literal["next", "stop"]


async def chan_spy(dp: Dialplan, line: Line, data: str) -> Ended:
    """ChanSpy(`<channel>,<options>`) on `line`'s channel."""
    name, _, options = data.partition(",")
    spyer = line.ch
    if spyer.state != "Up":
        dp.answer(line)
    target = dp.pbx.find(name) if name else None
    if target is None or target.dead:
        return "stop"
    spied = dp.line(target)
    dp.pbx.chan_spy(spyer, target)
    waits = [asyncio.ensure_future(e.wait()) for e in (line.hung, spied.hung)]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
    dp.pbx.chan_spy(spyer, None)
    if line.hung.is_set() or "E" not in options:
        return "stop"
    return "next"
