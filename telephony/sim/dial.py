"""The Dial application of the simulated dialplan, for `Local/<exten>@<context>`
(the traces' stand-ins for `PJSIP/...`): ring a new pair in the dialler's call,
then bridge the dialler with it until either side hangs up, with the variables,
DialBegin/DialEnd and bridge events of agent-leg-bridges.ami.txt.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

from telephony.sim import optimise

if TYPE_CHECKING:
    from telephony.sim.dialplan import Dialplan, Line

DIAL_VARIABLES = (
    "DIALSTATUS",
    "DIALEDPEERNUMBER",
    "DIALEDPEERNAME",
    "ANSWEREDTIME",
    "ANSWEREDTIME_MS",
    "DIALEDTIME",
    "DIALEDTIME_MS",
    "RINGTIME",
    "RINGTIME_MS",
    "PROGRESSTIME",
    "PROGRESSTIME_MS",
)
"""Cleared on the dialler as Dial starts."""
RING_LIMIT_S = 60.0
"""Dial's own timeout when none is given (simulated seconds)."""

Ended = Literal["next", "stop", "jump"]


async def dial(dp: Dialplan, line: Line, data: str) -> Ended:
    """Dial(`Local/<exten>@<context>[,timeout[,options]]`) from `line`. The
    called party is the pair's `;2` half; the dialler goes on to its next
    priority when the call is over, or at once if nobody answered."""
    ch = line.ch
    target, _, rest = data.partition(",")
    timeout = rest.partition(",")[0]
    exten, _, context = target.removeprefix("Local/").partition("@")
    for name in DIAL_VARIABLES:
        dp.pbx.varset(ch, name, "")
    one, two = dp.pbx.dial_pair(exten, context, ch)
    l1, l2 = dp.line(one), dp.line(two)
    if dp.steps(l2) is None:
        dp.pbx.hangup(two, 0)
        dp.pbx.hangup(one, 0)
        dp.lines.pop(one, None)
        dp.lines.pop(two, None)
        return "next"
    dp.spawn(dp.run(l2))
    limit = float(timeout) if timeout.replace(".", "", 1).isdigit() else RING_LIMIT_S
    if not await _ring(dp, line, l2, limit):
        return _unanswered(dp, line, l1, l2)
    _answered(dp, line, l1)
    ch.priority -= 1  # Dial, unlike Bridge(), resumes after itself
    dp.spawn(_callee(dp, l1))
    return "next"


def _answered(dp: Dialplan, line: Line, l1: Line) -> None:
    """The callee answered: the dialler is answered too and both are bridged
    (the callee enters first, as traced); a Local dialler whose other half is
    bridged already is optimised away."""
    pbx, ch, one = dp.pbx, line.ch, l1.ch
    pbx.newstate(one, "Up")
    pbx.device_state(one.device, "INUSE")
    pbx.varset(ch, "DIALSTATUS", "ANSWER")
    pbx.varset(ch, "DIALEDPEERNAME", one.name)
    pbx.varset(ch, "DIALEDPEERNUMBER", f"{one.exten}@{one.context}")
    one.exten = ""  # the callee's exten is gone once it is answered (as traced)
    pbx.dial_end(one, "ANSWER", dialler=ch)
    if ch.state != "Up":
        dp.answer(line)
    bridge = pbx.bridge_create()
    pbx.newexten(one, "AppDial", "(Outgoing Line)")
    pbx.bridge_enter(bridge, one)
    pbx.bridge_enter(bridge, ch)
    pbx.varset(one, "BRIDGEPEER", ch.name)
    pbx.varset(ch, "BRIDGEPEER", one.name)
    line.bridged.set()
    l1.bridged.set()
    optimise.schedule(dp, ch)


def _unanswered(dp: Dialplan, line: Line, l1: Line, l2: Line) -> Ended:
    """Busy, no answer, or the dialler hung up or was redirected meanwhile: the
    callee's pair hangs up, the dialler goes on (or stops, if it hung up)."""
    one = l1.ch
    if not line.ch.dead and one.state != "Up":
        status = "BUSY" if l2.busy.is_set() else "NOANSWER"
        if line.hung.is_set() or line.redirect is not None:
            status = "CANCEL"
        dp.pbx.dial_end(one, status, dialler=line.ch)
    dp.hang(l1, "ami", 0)
    dp.spawn(dp.finish(l1))
    if line.hung.is_set():
        return "stop"
    if line.redirect is not None:
        line.wake.clear()
        return dp.take_redirect(line)
    return "next"


async def _ring(dp: Dialplan, line: Line, l2: Line, limit_s: float) -> bool:
    """Ring until the called leg answers (True), or it is busy or gone, the
    dialling channel hangs up or is redirected, or `limit_s` pass (False)."""
    deadline = dp.clock() + limit_s
    while not (l2.answered.is_set() or l2.busy.is_set() or l2.hung.is_set()):
        if line.hung.is_set() or line.redirect is not None:
            return False
        left = deadline - dp.clock()
        if left <= 0:
            return False
        events = (l2.answered, l2.busy, l2.hung, line.hung, line.wake)
        waits = [asyncio.ensure_future(e.wait()) for e in events]
        try:
            await asyncio.wait(
                waits,
                timeout=left / dp.config.speed,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for w in waits:
                w.cancel()
        line.wake.clear()
    return l2.answered.is_set() and not line.hung.is_set()


async def _callee(dp: Dialplan, l1: Line) -> None:
    """Own the answered callee's `;1` until it hangs up. A Redirect sends it out
    of its bridge into the dialplan there (Asterisk's after-bridge goto: how both
    sides of a call are moved at once), which it then runs to its end; an AMI
    Bridge may move it into another bridge meanwhile."""
    while True:
        what = await dp.wait(l1, None)
        if what == "hung":
            break
        if l1.redirect is not None:
            dp.take_redirect(l1)
            await dp.run(l1)
            return
        if l1.ch.bridge is None:
            break
    await dp.finish(l1)
