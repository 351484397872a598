"""Originate as Asterisk 20 carries it out for a Local channel: the `;1`/`;2` pair,
the dial to `;2`'s extension, then `;1` to the destination, and a later
`OriginateResponse` (inbound-spine, dialer-amd, ami-basics, restart traces).
"""

from __future__ import annotations

import asyncio

from telephony.sim import optimise
from telephony.sim.channels import UNKNOWN, Channel
from telephony.sim.dialplan import (
    AGENT_PHONE_CONTEXTS,
    Dialplan,
    Line,
    OriginateRequest,
)

REASON_FAILURE = 0
REASON_HANGUP = 1
REASON_NO_ANSWER = 3
REASON_ANSWERED = 4
REASON_BUSY = 5


def split_local(channel: str) -> tuple[str, str] | None:
    """`Local/2001@cc-inbound` (or `.../n`) to ("2001", "cc-inbound")."""
    if not channel.startswith("Local/") or "@" not in channel:
        return None
    exten, _, context = channel[len("Local/") :].partition("@")
    context = context.split("/", 1)[0]
    return (exten, context) if exten and context else None


def originate_response(
    dp: Dialplan,
    req: OriginateRequest,
    *,
    ok: bool,
    reason: int,
    one: Channel | None,
) -> None:
    event: list[tuple[str, str]] = [
        ("Event", "OriginateResponse"),
        ("Privilege", "call,all"),
    ]
    if req.action_id is not None:
        event.append(("ActionID", req.action_id))
    event += [
        ("Response", "Success" if ok else "Failure"),
        ("Channel", one.name if ok and one is not None else req.channel),
    ]
    if req.application:
        event += [("Application", req.application), ("Data", req.data)]
    else:
        event += [("Context", req.context), ("Exten", req.exten)]
    num, name = req.callerid or (UNKNOWN, UNKNOWN)
    event += [
        ("Reason", str(reason)),
        ("Uniqueid", one.uniqueid if ok and one is not None else UNKNOWN),
        ("CallerIDNum", num),
        ("CallerIDName", name),
    ]
    if req.caller is None:  # a call the simulator places itself has no Originate
        dp.emit(event)


async def originate(
    dp: Dialplan, req: OriginateRequest, local: tuple[str, str]
) -> None:
    """Carry out one Originate toward `Local/<exten>@<context>`; owns `;1`."""
    exten, context = local
    one, two = dp.pbx.local_pair(
        exten,
        context,
        uids=(req.channel_id, req.other_channel_id),
        callerid=req.callerid,
        variables=req.variables,
    )
    l1, l2 = dp.line(one), dp.line(two)
    l1.caller = l2.caller = req.caller
    if dp.steps(l2) is None or (
        context in AGENT_PHONE_CONTEXTS and l2.agent and not l2.agent.reachable
    ):
        await _fail_at_once(dp, req, l1, l2)
        return
    dp.pbx.local_bridge_and_dial(one, two)
    dp.spawn(dp.run(l2))
    outcome = await _ring(dp, l1, l2, req.timeout_s)
    match outcome:
        case "answered":
            dp.pbx.device_state(one.device, "INUSE")
            dp.pbx.newstate(one, "Up")
            dp.pbx.device_state(one.device, "INUSE")
            dp.pbx.dial_end(one, "ANSWER")
            await _connected(dp, req, l1)
        case "busy":
            dp.pbx.dial_end(one, "BUSY")
            dp.pbx.hangup_request(two, 0)
            originate_response(dp, req, ok=False, reason=REASON_BUSY, one=one)
            dp.pbx.hangup(one, 0)
            dp.hang(l2, "peer", 17)
            dp.lines.pop(one, None)
        case "timeout":
            dp.pbx.hangup_request(two, 19)
            dp.pbx.soft_hangup_request(two, 16)
            dp.pbx.hangup(two, 19)
            dp.pbx.hangup(one, 19)
            originate_response(dp, req, ok=False, reason=REASON_NO_ANSWER, one=one)
            dp.hang(l2, "vanish", 19)
            _forget(dp, one, two)
            dp.pbx.device_state(one.device, "NOT_INUSE")
            dp.pbx.device_state(one.device, "NOT_INUSE")
        case "hung":
            cause = 0 if l1.hung.is_set() else l2.hung_cause
            if not two.dead:
                dp.pbx.hangup_request(two, cause)
                dp.hang(l2, "peer", cause)
            dp.pbx.hangup(one, cause)
            originate_response(dp, req, ok=False, reason=REASON_HANGUP, one=one)
            dp.lines.pop(one, None)
        case _:
            pass


async def _fail_at_once(
    dp: Dialplan, req: OriginateRequest, l1: Line, l2: Line
) -> None:
    """No such extension (ami-basics.ami.txt) or an unregistered agent phone."""
    unreachable = l2.agent is not None and not l2.agent.reachable
    cause = 20 if unreachable else 0
    dp.pbx.hangup(l2.ch, cause)
    originate_response(dp, req, ok=False, reason=REASON_FAILURE, one=l1.ch)
    dp.pbx.hangup(l1.ch, cause)
    device = l1.ch.device
    state = "UNAVAILABLE" if unreachable else "INVALID"
    dp.pbx.device_state(device, state)
    dp.pbx.device_state(device, state)
    _forget(dp, l1.ch, l2.ch)


def _forget(dp: Dialplan, *channels: Channel) -> None:
    for ch in channels:
        dp.lines.pop(ch, None)


async def _ring(dp: Dialplan, l1: Line, l2: Line, timeout_s: float) -> str:
    waits = {
        "answered": asyncio.ensure_future(l2.answered.wait()),
        "busy": asyncio.ensure_future(l2.busy.wait()),
        "hung2": asyncio.ensure_future(l2.hung.wait()),
        "hung1": asyncio.ensure_future(l1.hung.wait()),
    }
    try:
        await asyncio.wait(
            waits.values(),
            timeout=timeout_s / dp.config.speed,
            return_when=asyncio.FIRST_COMPLETED,
        )
    finally:
        for w in waits.values():
            w.cancel()
    if l2.answered.is_set():
        return "answered"
    if l2.busy.is_set():
        return "busy"
    if l1.hung.is_set() or l2.hung.is_set() or l2.ch.dead:
        return "hung"
    return "timeout"


async def _connected(dp: Dialplan, req: OriginateRequest, l1: Line) -> None:
    one = l1.ch
    if not req.application:
        one.context, one.exten, one.priority = req.context, req.exten, req.priority
        originate_response(dp, req, ok=True, reason=REASON_ANSWERED, one=one)
        await dp.run(l1)
        return
    app, data = req.application, req.data
    one.app, one.appdata = app, data
    if app == "Bridge":
        target = dp.pbx.find(data)
        if target is not None and not target.dead:
            dp.bridge(
                l1,
                dp.line(target),
                before_enter=lambda: originate_response(
                    dp, req, ok=True, reason=REASON_ANSWERED, one=one
                ),
            )
            _tell_the_far_side(dp, one, target)
            await dp.wait(l1, None)
        else:
            originate_response(dp, req, ok=True, reason=REASON_ANSWERED, one=one)
        await dp.finish(l1)
        return
    if app == "MusicOnHold":
        moh_class, _, seconds = data.partition(",")
        dp.pbx.moh_start(one, moh_class or "default")
        originate_response(dp, req, ok=True, reason=REASON_ANSWERED, one=one)
        await dp.wait(l1, float(seconds) if seconds else None)
    else:
        originate_response(dp, req, ok=True, reason=REASON_ANSWERED, one=one)
        await dp.app(l1, app, data)
    await dp.finish(l1)


def _tell_the_far_side(dp: Dialplan, one: Channel, target: Channel) -> None:
    """After Bridge(): the caller's ID reaches what `;2` is talking to. A `;2`
    that runs applications (the stand-in phone) gets it as its caller ID at
    once (inbound-spine.ami.txt); one that Dialled the phone passes it on as the
    phone's connected line, and the pair is optimised away
    (agent-leg-bridges.ami.txt)."""
    peer = one.peer
    if peer is None or peer.dead:
        return
    if peer.bridge is None:
        dp.pbx.caller_id(peer, target.cid_num, target.cid_name)
        return
    for far in peer.bridge.channels:
        if far is not peer:
            dp.pbx.connected_line(far, target.cid_num, target.cid_name)
    optimise.schedule(dp, one)
