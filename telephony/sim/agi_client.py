"""The FastAGI side of the simulator: connects to the service as Asterisk's
`AGI(agi://host:port/script)` does and answers its commands for one channel.

Wire as in ../shared/asterisk-traces/*.agi.txt: `agi_*` environment lines and a blank
line, LF-terminated; `200 result=...` replies; after the caller hangs up, the command
in flight gets `200 result=-1`, a bare `HANGUP` line precedes the next reply, and
commands a dead channel cannot run get `511` (agi-hangup.agi.txt). A channel
bridged by another's Bridge() or moved by an AMI Redirect while in AGI leaves the
script the same way (Asterisk pulls it out of the application).

Sounds play only if Asterisk has them (telephony/sim/sounds.py); a missing one is
answered as res_agi.c and app_playback.c answer it, which for most commands is the
very reply a hang-up gets, and leaves AGISTATUS `FAILURE` where res_agi.c does.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from dataclasses import replace

from telephony.sim.channels import UNKNOWN
from telephony.sim.dialplan import Dialplan, Line
from telephony.sim.sounds import BEEP, data_dir, play_seconds, sound_exists
from telephony.sim.wav import RATE_HZ, read_pcm, tone, write_wav

log = logging.getLogger(__name__)

DEAD_OK = (
    "SET VARIABLE",
    "GET VARIABLE",
    "GET FULL VARIABLE",
    "VERBOSE",
    "NOOP",
    "CHANNEL STATUS",
)
DEAD_REPLY = "511 Command Not Permitted on a dead channel or intercept routine"
DEAD_RESULT = "Command Not Permitted on a dead channel or intercept routine"
MAX_COMMAND_BYTES = 64 * 1024
USAGE_REPLY = (
    "520-Invalid command syntax.  Proper usage follows:\n520 End of proper usage."
)


def environment(dp: Dialplan, line: Line, script: str) -> bytes:
    ch = line.ch
    pairs = [
        ("network", "yes"),
        ("network_script", script),
        ("request", f"agi://{dp.agi_host}/{script}"),
        ("channel", ch.name),
        ("language", "en"),
        ("type", ch.name.split("/", 1)[0]),
        ("uniqueid", ch.uniqueid),
        ("version", "UNKNOWN__and_probably_unsupported"),
        ("callerid", "unknown" if ch.cid_num == UNKNOWN else ch.cid_num),
        ("calleridname", "unknown" if ch.cid_name == UNKNOWN else ch.cid_name),
        ("callingpres", "0"),
        ("callingani2", "0"),
        ("callington", "0"),
        ("callingtns", "0"),
        ("dnid", "unknown"),
        ("rdnis", "unknown"),
        ("context", ch.context),
        ("extension", ch.exten),
        ("priority", str(ch.priority)),
        ("enhanced", "0.0"),
        ("accountcode", ""),
        ("threadid", str(dp.rng.randrange(10**14, 10**15))),
    ]
    return ("".join(f"agi_{k}: {v}\n" for k, v in pairs) + "\n").encode()


class AgiRun:
    """One AGI() application run: connect, serve commands, return AGISTATUS."""

    def __init__(self, dp: Dialplan, line: Line, script: str) -> None:
        self.dp = dp
        self.line = line
        self.script = script
        self.hangup_sent = False
        self.failed = False
        """A command returned RESULT_FAILURE on a live channel (a missing file for
        STREAM FILE, GET OPTION, CONTROL STREAM FILE): AGISTATUS is FAILURE."""
        self.timeout_s = dp.config.agi_timeout_s

    def gone(self) -> bool:
        """The channel left the script: hung up, bridged away or redirected."""
        line = self.line
        return (
            line.hung.is_set()
            or line.ch.bridge is not None
            or line.redirect is not None
        )

    async def run(self) -> str:
        cfg = self.dp.config
        assert cfg.agi_host is not None
        assert cfg.agi_port is not None
        try:
            async with asyncio.timeout(self.timeout_s):
                reader, writer = await asyncio.open_connection(
                    cfg.agi_host, cfg.agi_port
                )
        except (OSError, TimeoutError) as exc:
            log.warning(
                "agi connect failed channel=%s error=%s", self.line.ch.name, exc
            )
            return "FAILURE"
        try:
            writer.write(environment(self.dp, self.line, self.script))
            await self._serve(reader, writer)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            log.info("agi session ended channel=%s reason=%r", self.line.ch.name, exc)
        finally:
            writer.close()
        if self.line.hung.is_set():
            return "HANGUP"
        return "FAILURE" if self.failed else "SUCCESS"

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            try:
                async with asyncio.timeout(self.timeout_s):
                    raw = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError:
                return
            if len(raw) > MAX_COMMAND_BYTES:
                return
            command = raw.decode("utf-8", "replace").strip()
            if not command:
                continue
            reply = await self._command(command)
            writer.write(reply.encode())
            await writer.drain()

    async def _command(self, command: str) -> str:
        dp, line = self.dp, self.line
        prefix = ""
        if self.gone() and not self.hangup_sent:
            self.hangup_sent = True
            prefix = "HANGUP\n"
        if dp.before_agi_command is not None:
            await dp.before_agi_command(line.ch.uniqueid, command)
        command_id = dp.rng.randrange(1, 2**31)
        dp.pbx.agi_exec_start(line.ch, command_id, command)
        upper = command.upper()
        if self.gone() and not upper.startswith(DEAD_OK):
            dp.pbx.agi_exec_end(line.ch, command_id, command, 511, DEAD_RESULT)
            return prefix + DEAD_REPLY + "\n"
        try:
            words = shlex.split(command)
        except ValueError:
            words = command.split()
        reply = await self._execute(list(words), upper)
        code = int(reply[:3]) if reply[:3].isdigit() else 200
        result = {200: "Success", 510: "Invalid or unknown command", 520: "Usage"}.get(
            code, "Failure"
        )
        dp.pbx.agi_exec_end(line.ch, command_id, command, code, result)
        return prefix + reply + "\n"

    async def _execute(self, words: list[str], upper: str) -> str:
        dp, line, ch = self.dp, self.line, self.line.ch
        args = words[2:] if len(words) > 1 else []
        if upper.startswith("ANSWER"):
            if ch.state != "Up":
                dp.answer(line)
            return "200 result=0"
        if upper.startswith("HANGUP"):
            dp.hang(line, "ami", 0)
            return "200 result=1"
        if upper.startswith(("SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE")):
            return self._variable(words, upper)
        if upper.startswith(("SET CONTEXT", "SET EXTENSION", "SET PRIORITY")):
            value = args[0] if args else ""
            if upper.startswith("SET CONTEXT"):
                ch.context = value
            elif upper.startswith("SET EXTENSION"):
                ch.exten = value
            else:
                ch.priority = int(value) if value.isdigit() else ch.priority
            return "200 result=0"
        if upper.startswith("EXEC"):
            return await self._exec(
                words[1] if len(words) > 1 else "", words[2] if len(words) > 2 else ""
            )
        if upper.startswith(("STREAM FILE", "GET OPTION", "CONTROL STREAM FILE")):
            return await self._stream(words, upper)
        if upper.startswith("GET DATA"):
            timeout_ms = int(args[1]) if len(args) > 1 and args[1].isdigit() else 5000
            max_digits = int(args[2]) if len(args) > 2 and args[2].isdigit() else 1024
            if args and args[0] and not self._has(args[0]):
                return "200 result=-1"  # ast_app_getdata_full: the prompt failed
            return await self._get_data(timeout_ms / 1000, max_digits)
        if upper.startswith("WAIT FOR DIGIT"):
            given = words[3] if len(words) > 3 else ""
            timeout_ms = int(given) if given.lstrip("-").isdigit() else -1
            digit = await self._digit(None if timeout_ms < 0 else timeout_ms / 1000)
            if digit is None:
                return "200 result=-1" if self.gone() else "200 result=0"
            return f"200 result={ord(digit)}"
        if upper.startswith(("SAY DIGITS", "SAY NUMBER")):
            spoken = args[0] if args else ""
            if await dp.wait(line, 0.6 * len(spoken)) == "hung":
                return "200 result=-1"
            return "200 result=0"
        if upper.startswith("RECORD FILE"):
            return await self._record(args)
        if upper.startswith(("VERBOSE", "NOOP")):
            return "200 result=1"
        if upper.startswith("CHANNEL STATUS"):
            return "200 result=6" if ch.state == "Up" else "200 result=4"
        return "510 Invalid or unknown command"

    def _variable(self, words: list[str], upper: str) -> str:
        ch = self.line.ch
        if upper.startswith("SET VARIABLE"):
            if len(words) < 4:
                return USAGE_REPLY
            self.dp.pbx.varset(ch, words[2], words[3])
            return "200 result=1"
        name = words[-1] if len(words) > 2 else ""
        value = self.read_variable(name)
        return "200 result=0" if value is None else f"200 result=1 ({value})"

    def read_variable(self, name: str) -> str | None:
        ch = self.line.ch
        special = {
            "ASTDATADIR": str(data_dir(self.dp.config.sounds_dir)),
            "CHANNEL(linkedid)": ch.linkedid,
            "CALLERID(num)": ch.cid_num,
            "CALLERID(name)": ch.cid_name,
            "CHANNEL": ch.name,
            "UNIQUEID": ch.uniqueid,
            "EXTEN": ch.exten,
            "CONTEXT": ch.context,
        }
        if name in special:
            return special[name]
        if name.startswith("GLOBAL(") and name.endswith(")"):
            return self.dp.globals.get(name[7:-1])
        return ch.variables.get(name)

    async def _exec(self, app: str, data: str) -> str:
        app_l = app.lower()
        if app_l in ("playback", "background"):
            return await self._exec_play(app_l, data.split(",")[0])
        if app_l == "wait":
            seconds = float(data) if data.replace(".", "", 1).isdigit() else 0.0
            if await self.dp.wait(self.line, seconds) == "hung":
                return "200 result=-1"
            return "200 result=0"
        if app_l in ("noop", "set", "answer", "musiconhold", "mixmonitor"):
            return "200 result=0"
        return "200 result=-2"

    def _has(self, name: str) -> bool:
        config = self.dp.config
        return sound_exists(
            name, sounds_dir=config.sounds_dir, installed=config.installed_sounds
        )

    async def _exec_play(self, app: str, name: str) -> str:
        """Playback and Background: a missing file answers 0 and leaves FAILED in
        the status variable; a hang-up answers -1 (app_playback.c,
        pbx_builtins.c)."""
        status = "PLAYBACKSTATUS" if app == "playback" else "BACKGROUNDSTATUS"
        if not self._has(name):
            self.dp.pbx.varset(self.line.ch, status, "FAILED")
            return "200 result=0"
        reply = await self._play(name, "0123456789*#" if app == "background" else "")
        self.dp.pbx.varset(self.line.ch, status, "SUCCESS")
        return reply.split(" endpos=")[0]

    async def _stream(self, words: list[str], upper: str) -> str:
        """STREAM FILE, GET OPTION and CONTROL STREAM FILE (res_agi.c): a missing
        file answers -1 at once, as a hang-up does, and fails the AGI."""
        control = upper.startswith("CONTROL")
        args = words[3:] if control else words[2:]
        name, escape = [*args, "", ""][:2]
        if not self._has(name):
            self.failed = not self.gone()
            return "200 result=-1 endpos=-1" if control else "200 result=-1 endpos=0"
        reply = await self._play(name, escape)
        if upper.startswith("STREAM FILE") and not self.gone():
            # Asterisk 20 sets it after playing (agent-leg-bridges.ami.txt)
            played = reply.startswith("200 result=0 ")
            self.dp.pbx.varset(
                self.line.ch, "PLAYBACKSTATUS", "SUCCESS" if played else "FAILED"
            )
        if upper.startswith("GET OPTION") and reply.startswith("200 result=0 "):
            given = args[2] if len(args) > 2 else ""
            timeout_ms = int(given) if given.isdigit() else 5000
            digit = await self._digit(timeout_ms / 1000, only=escape)
            if digit is not None:
                return f"200 result={ord(digit)} {reply.split(' ', 2)[2]}"
        if control and reply.startswith("200 result=0 "):
            return "200 result=0 endpos=-1"  # played to the end: no stream left
        return reply

    async def _play(self, name: str, escape: str) -> str:
        seconds = play_seconds(name, sounds_dir=self.dp.config.sounds_dir)
        if escape:
            digit = await self._digit(seconds, only=escape)
            if digit is not None:
                return f"200 result={ord(digit)} endpos={int(seconds * RATE_HZ / 2)}"
        elif await self.dp.wait(self.line, seconds) == "hung":
            return "200 result=-1 endpos=0"
        if self.gone():
            return "200 result=-1 endpos=0"
        return f"200 result=0 endpos={int(seconds * RATE_HZ)}"

    async def _get_data(self, timeout_s: float, max_digits: int) -> str:
        got = ""
        while len(got) < max_digits:
            digit = await self._digit(timeout_s)
            if digit is None:
                if self.gone():
                    return "200 result=-1"
                return f"200 result={got} (timeout)"
            if digit == "#":
                break
            got += digit
        return f"200 result={got}"

    async def _digit(self, timeout_s: float | None, only: str = "") -> str | None:
        """The next key the caller presses within `timeout_s` (simulated)."""
        line = self.line
        caller = line.caller
        if line.digits.empty() and caller is not None and caller.digits:
            wait_s = caller.digit_delay_s
            if timeout_s is None or wait_s <= timeout_s:
                if await self.dp.wait(line, wait_s) == "hung":
                    return None
                digit = caller.digits[0]
                line.caller = replace(caller, digits=caller.digits[1:])
                self.dp.pbx.dtmf(line.ch, digit)
                return digit if not only or digit in only else None
        get = asyncio.ensure_future(line.digits.get())
        hung = asyncio.ensure_future(line.hung.wait())
        wake = asyncio.ensure_future(line.wake.wait())  # bridged or redirected
        limit = None if timeout_s is None else timeout_s / self.dp.config.speed
        try:
            await asyncio.wait(
                {get, hung, wake}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            hung.cancel()
            wake.cancel()
            if not get.done():
                get.cancel()
        if get.done() and not get.cancelled():
            digit = get.result()
            return digit if not only or digit in only else None
        return None

    async def _record(self, args: list[str]) -> str:
        name, fmt = [*args, "", ""][:2]
        beep = any(not a.startswith("s=") and not a.isdigit() for a in args[4:])
        if beep and not self._has(BEEP):
            return "200 result=-1 (randomerror) endpos=0"
        limit_ms = (
            int(args[3]) if len(args) > 3 and args[3].lstrip("-").isdigit() else 10000
        )
        path = self.dp.record_path(f"{name}.{fmt or 'wav'}")
        caller = self.line.caller
        pcm = (
            read_pcm(caller.wav)
            if caller is not None and caller.wav is not None
            else b""
        )
        if not pcm:
            pcm = tone(int(RATE_HZ * 2.0))
        spoken_s = len(pcm) / 2 / RATE_HZ
        limit_s = limit_ms / 1000 if limit_ms > 0 else spoken_s
        took = min(spoken_s, limit_s)
        what = await self.dp.wait(self.line, took)
        pcm = pcm[: int(took * RATE_HZ) * 2]
        write_wav(path, pcm)
        endpos = len(pcm) // 2
        if what == "hung" or self.gone():
            return f"200 result=-1 (hangup) endpos={endpos}"
        return f"200 result=0 (timeout) endpos={endpos}"


async def run_agi(dp: Dialplan, line: Line, script: str) -> str:
    return await AgiRun(dp, line, script).run()
