"""The reference Asterisk configuration and docker-compose.yml parse, and agree with
the settings' defaults and with the names in telephony/dialplan.py."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from acd.model import ExitKind
from acd.monitoring import MonitorMode
from contactcentre.settings import PbxSettings, Settings
from telephony import dialplan
from telephony.ami_events import BUILDERS

ROOT = Path(__file__).resolve().parents[3]
CONF_DIR = ROOT / "telephony" / "asterisk"


@dataclass
class Section:
    name: str
    options: str
    """What follows the name in brackets: `!` for a template, or templates used."""
    entries: list[tuple[str, str]] = field(default_factory=list)

    def values(self, key: str) -> list[str]:
        return [value for k, value in self.entries if k == key]

    def value(self, key: str) -> str:
        (value,) = self.values(key)
        return value


_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\](?:\((?P<options>[^)]*)\))?$")
_ENTRY = re.compile(r"^(?P<key>[^=]+?)\s*=>?\s*(?P<value>.*)$")
_INCLUDE = re.compile(r"^(?P<key>#(?:try)?include)\s+\"?(?P<value>[^\"]+)\"?$")


def parse_conf(text: str) -> list[Section]:
    """Asterisk's ini dialect: `[section](template)`, `key = value`, `key => value`,
    `;` comments (not `\\;`), and `#include file` (an entry of the section it is
    in, as Asterisk adds the file's lines there). Raises ValueError naming the line
    it cannot read."""
    sections: list[Section] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.split(r"(?<!\\);", raw, maxsplit=1)[0].strip()
        if not line:
            continue
        if header := _SECTION.match(line):
            sections.append(Section(header["name"], header["options"] or ""))
            continue
        entry = _INCLUDE.match(line) or _ENTRY.match(line)
        if entry is None or not sections:
            raise ValueError(f"line {number}: cannot read {raw!r}")
        sections[-1].entries.append((entry["key"].strip(), entry["value"].strip()))
    return sections


def conf(name: str) -> list[Section]:
    return parse_conf((CONF_DIR / name).read_text())


def section(sections: list[Section], name: str) -> Section:
    (found,) = [s for s in sections if s.name == name and s.options != "!"]
    return found


@dataclass(frozen=True)
class Step:
    pattern: str
    priority: str
    application: str
    data: str


def dialplan_steps(sections: list[Section]) -> dict[str, list[Step]]:
    """Each context's steps, `same =>` lines attached to the extension above them."""
    contexts: dict[str, list[Step]] = {}
    for sec in sections:
        if sec.name in ("general", "globals"):
            continue
        steps = contexts.setdefault(sec.name, [])
        pattern = ""
        for key, value in sec.entries:
            if key == "include":
                continue
            if key == "exten":
                pattern, priority, command = value.split(",", 2)
            elif key == "same":
                priority, command = value.split(",", 1)
            else:
                raise ValueError(f"[{sec.name}] unexpected {key}")
            application, _, data = command.partition("(")
            steps.append(Step(pattern, priority, application, data.removesuffix(")")))
    return contexts


def matches(pattern: str, exten: str) -> bool:
    """Asterisk's extension matching; X, Z and N are wildcards in either case."""
    if not pattern.startswith("_"):
        return pattern == exten
    regex = ""
    i = 1
    while i < len(pattern):
        char = pattern[i]
        if char.upper() == "X":
            regex += "[0-9]"
        elif char.upper() == "Z":
            regex += "[1-9]"
        elif char.upper() == "N":
            regex += "[2-9]"
        elif char == "[":
            end = pattern.index("]", i)
            regex += "[" + re.escape(pattern[i + 1 : end]).replace("\\-", "-") + "]"
            i = end
        elif char == ".":
            regex += ".+"
        elif char == "!":
            regex += ".*"
        else:
            regex += re.escape(char)
        i += 1
    return re.fullmatch(regex, exten) is not None


def context_for(steps: dict[str, list[Step]], context: str, exten: str) -> list[Step]:
    chosen = [s for s in steps[context] if matches(s.pattern, exten)]
    assert chosen, f"nothing in [{context}] matches {exten!r}"
    first = chosen[0].pattern
    return [s for s in chosen if s.pattern == first]


def agi_urls(steps: list[Step], agi_host: str) -> list[str]:
    return [
        s.data.replace("${AGI_HOST}", agi_host) for s in steps if s.application == "AGI"
    ]


@pytest.fixture(scope="module")
def extensions() -> list[Section]:
    return conf("extensions.conf")


DEPLOY_ENV = {
    "AMI_SECRET": "test-ami-secret",
    "POSTGRES_PASSWORD": "test-db-password",
    "SIP_ADDRESS": "203.0.113.5",
}
"""What a deployer's .env holds (docs/deployment.md)."""

_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?P<op>:?[-?])?(?P<arg>[^}]*)\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$$`. Raises
    KeyError for a required variable that is not set."""

    def value(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        name, op = match["name"], match["op"] or ""
        if name in env and (env[name] or ":" not in op):
            return env[name]
        if op.endswith("?"):
            raise KeyError(f"{name}: {match['arg']}")
        return match["arg"] if op.endswith("-") else ""

    return _VARIABLE.sub(value, text)


def load_compose(env: dict[str, str]) -> dict[str, Any]:
    text = interpolate((ROOT / "docker-compose.yml").read_text(), env)
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(DEPLOY_ENV)


def test_pattern_matcher_shows_the_lower_case_trap_when_a_name_holds_n() -> None:
    assert not matches("_agent[1-9]", "agent1")
    assert matches("_[+0-9].", "+74951234567")
    assert matches("_1XXX", "1001")


def test_every_conf_file_parses_when_read() -> None:
    names = sorted(p.name for p in CONF_DIR.glob("*.conf"))
    assert {"manager.conf", "extensions.conf", "pjsip.conf", "musiconhold.conf"} <= set(
        names
    )
    for name in names:
        assert conf(name), name


def test_parser_refuses_a_line_when_it_is_not_ini() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_conf("[general]\nthis is not ini\n")


def test_manager_user_port_and_secret_agree_when_compared_with_settings() -> None:
    manager = conf("manager.conf")
    default_pbx = Settings().pbxs[0]
    assert (
        int(section(manager, "general").value("port"))
        == PbxSettings.model_fields["port"].get_default()
    )
    user = section(manager, default_pbx.username)
    # no secret ships: it is written at start (docker-start.sh), and the settings
    # have none either (serve refuses an empty one)
    assert user.values("secret") == []
    assert user.value("#include") == "manager_secret.conf"
    assert default_pbx.secret.get_secret_value() == ""
    start = (CONF_DIR / "docker-start.sh").read_text()
    assert "/etc/asterisk/manager_secret.conf" in start
    assert '"${AMI_SECRET:?' in start


ACTION_CLASSES: dict[str, frozenset[str]] = {
    "Ping": frozenset(),
    "CoreShowChannels": frozenset({"system", "reporting"}),
    "Originate": frozenset({"originate"}),
    "Redirect": frozenset({"call"}),
    "Hangup": frozenset({"system", "call"}),
    "Bridge": frozenset({"call"}),
    "Setvar": frozenset({"call"}),
    "Getvar": frozenset({"call", "reporting"}),
    "MixMonitor": frozenset({"system", "call"}),
    "StopMixMonitor": frozenset({"system", "call"}),
    "MixMonitorMute": frozenset({"system", "call"}),
    "PlayDTMF": frozenset({"call"}),
    "Atxfer": frozenset({"call"}),
    "CancelAtxfer": frozenset({"call"}),
}
"""Each AMI action the service sends and the write classes Asterisk 20 registers
it with (any one of them suffices; none: every user may). Login needs none."""

EVENT_CLASSES: dict[str, str] = {
    "FullyBooted": "system",
    "Shutdown": "system",
    "DTMFBegin": "dtmf",
    "DTMFEnd": "dtmf",
    "VarSet": "dialplan",
    "CoreShowChannel": "",  # a reply to our own action, sent whatever the classes
    "CoreShowChannelsComplete": "",
}
"""The read class of each event the bridge uses; every other one is `call`."""

SENDERS = [
    ROOT / "telephony" / "ami.py",
    ROOT / "telephony" / "pbx.py",
    *sorted((ROOT / "acd").glob("*.py")),
]
_SENT = re.compile(r'(?:\baction|list_action|_send)\(\s*"(\w+)"')


def test_manager_user_gets_only_the_classes_of_what_is_sent_and_read() -> None:
    sent = {name for path in SENDERS for name in _SENT.findall(path.read_text())} - {
        "Login"
    }
    sent |= {"Originate"}  # AmiClient.originate sends it by a variable
    assert sent == set(ACTION_CLASSES), "a new action needs its class here"
    user = section(conf("manager.conf"), Settings().pbxs[0].username)
    write = set(user.value("write").split(","))
    for action, classes in ACTION_CLASSES.items():
        assert not classes or write & classes, action
    # least privilege: drop any one class and some action is refused
    for dropped in write:
        rest = write - {dropped}
        assert any(c and not rest & c for c in ACTION_CLASSES.values()), dropped
    assert not write & {"system", "command", "config", "all"}
    used = dialplan.AMI_EVENTS | {"Shutdown"}
    needed = {EVENT_CLASSES.get(event, "call") for event in used} - {""}
    assert set(user.value("read").split(",")) == needed


def test_manager_listens_and_permits_only_the_service_network_when_composed(
    compose: dict[str, Any],
) -> None:
    manager = conf("manager.conf")
    services = compose["services"]
    asterisk_ip = services["asterisk"]["networks"]["backend"]["ipv4_address"]
    app_ip = services["app"]["networks"]["backend"]["ipv4_address"]
    assert section(manager, "general").value("bindaddr") == asterisk_ip
    user = section(manager, Settings().pbxs[0].username)
    assert user.values("deny") == ["0.0.0.0/0.0.0.0"]
    assert user.values("permit") == [f"{app_ip}/255.255.255.255"]
    assert compose["networks"]["backend"]["internal"] is True
    published = [p for s in services.values() for p in s.get("ports", [])]
    assert not [p for p in published if "5038" in p], "AMI is never published"


def test_event_filters_pass_exactly_the_bridge_events_when_listed() -> None:
    user = section(conf("manager.conf"), Settings().pbxs[0].username)
    filters = [(k, v) for k, v in user.entries if k.startswith("eventfilter")]
    names = {re.search(r"name\((\w+)\)", k)[1] for k, _ in filters}  # type: ignore[index]  # every filter names its event
    assert names == dialplan.AMI_EVENTS
    assert all("action(include)" in k for k, _ in filters)
    (varset,) = [v for k, v in filters if "name(VarSet)" in k]
    assert "header(Variable)" in next(k for k, _ in filters if "VarSet" in k)
    assert varset == dialplan.VARSET_VARIABLES_REGEX
    assert re.fullmatch(varset, "AMDSTATUS")
    assert re.fullmatch(varset, "CC_QUEUE")
    assert not re.fullmatch(varset, "BRIDGEPEER")
    [(soft, cause)] = [(k, v) for k, v in filters if "name(SoftHangupRequest)" in k]
    assert "header(Cause)" in soft
    assert "method(exact)" in soft
    assert cause == dialplan.SHUTDOWN_CAUSE
    [unfiltered] = [k for k, v in filters if "name(Shutdown)" in k]
    assert "header(" not in unfiltered


def test_every_event_the_bridge_reads_passes_the_filter_when_listed() -> None:
    assert set(BUILDERS) <= dialplan.AMI_EVENTS
    assert "Shutdown" in dialplan.AMI_EVENTS  # the client handles it itself


def test_contexts_the_service_uses_exist_when_the_dialplan_is_read(
    extensions: list[Section],
) -> None:
    steps = dialplan_steps(extensions)
    for context in (
        dialplan.INBOUND_CONTEXT,
        dialplan.WAIT_CONTEXT,
        dialplan.QUEUE_EXIT_CONTEXT,
        dialplan.FALLBACK_CONTEXT,
        dialplan.AGENT_CONTEXT,
        dialplan.DIALER_CONTEXT,
        dialplan.OUTBOUND_CONTEXT,
        dialplan.PHONES_CONTEXT,
        dialplan.SPY_CONTEXT,
    ):
        assert steps.get(context), context


def test_agi_urls_use_the_settings_port_and_known_scripts_when_expanded(
    extensions: list[Section],
) -> None:
    agi_host = section(extensions, "globals").value("AGI_HOST")
    host, _, port = agi_host.partition(":")
    assert int(port) == Settings().agi.port
    steps = dialplan_steps(extensions)
    urls = [url for context in steps.values() for url in agi_urls(context, agi_host)]
    assert urls
    for url in urls:
        assert url.startswith(f"agi://{host}:{port}/")
        assert url.rsplit("/", 1)[1] in dialplan.AGI_SCRIPTS


@pytest.mark.parametrize("dnis", ["2001", "+74951234567", "84951112233"])
def test_inbound_call_reaches_fastagi_inbound_when_the_number_is_dialled(
    extensions: list[Section], dnis: str
) -> None:
    steps = dialplan_steps(extensions)
    agi_host = section(extensions, "globals").value("AGI_HOST")
    route = context_for(steps, dialplan.INBOUND_CONTEXT, dnis)
    assert [s.application for s in route][:3] == ["NoOp", "Answer", "AGI"]
    assert agi_urls(route, agi_host)[0].endswith("/" + dialplan.INBOUND_SCRIPT)
    trunk = context_for(steps, "from-trunk", dnis)
    assert trunk[0].application == "Goto"
    assert trunk[0].data.startswith(dialplan.INBOUND_CONTEXT + ",")


def test_dialer_leg_runs_amd_before_fastagi_dialer_when_answered(
    extensions: list[Section],
) -> None:
    steps = dialplan_steps(extensions)
    route = context_for(steps, dialplan.DIALER_CONTEXT, dialplan.DIALER_EXTEN)
    applications = [s.application for s in route]
    assert applications.index("AMD") < applications.index("AGI")
    agi_host = section(extensions, "globals").value("AGI_HOST")
    assert agi_urls(route, agi_host)[0].endswith("/" + dialplan.DIALER_SCRIPT)


def test_waiting_caller_hears_the_moh_class_when_parked(
    extensions: list[Section],
) -> None:
    steps = dialplan_steps(extensions)
    route = context_for(steps, dialplan.WAIT_CONTEXT, dialplan.WAIT_EXTEN)
    (moh,) = [s for s in route if s.application == "MusicOnHold"]
    assert moh.data.split(",")[0] == dialplan.MOH_CLASS
    assert section(conf("musiconhold.conf"), dialplan.MOH_CLASS).value("mode")


def test_waiting_caller_hears_announcements_between_music_when_parked(
    extensions: list[Section],
) -> None:
    steps = dialplan_steps(extensions)
    route = context_for(steps, dialplan.WAIT_CONTEXT, dialplan.WAIT_EXTEN)
    assert [s.application for s in route] == ["Answer", "MusicOnHold", "AGI", "Goto"]
    music, _, back = route[1:]
    assert music.priority == f"n({dialplan.WAIT_LOOP_LABEL})"
    assert back.data == dialplan.WAIT_LOOP_LABEL
    every = f"${{{dialplan.ANNOUNCE_EVERY_VARIABLE}}}"
    assert music.data == f"{dialplan.MOH_CLASS},{every}"
    globals_ = section(extensions, "globals")
    assert int(globals_.value(dialplan.ANNOUNCE_EVERY_VARIABLE)) == (
        dialplan.ANNOUNCE_EVERY_S
    )
    agi_host = globals_.value("AGI_HOST")
    assert agi_urls(route, agi_host)[0].endswith("/" + dialplan.ANNOUNCE_SCRIPT)


@pytest.mark.parametrize("exten", sorted(dialplan.QUEUE_EXIT_EXTENS))
def test_queue_exit_runs_fastagi_then_falls_back_when_the_acd_redirects(
    extensions: list[Section], exten: str
) -> None:
    steps = dialplan_steps(extensions)
    route = context_for(steps, dialplan.QUEUE_EXIT_CONTEXT, exten)
    assert route[0].pattern == exten
    assert route[0].priority == "1"
    assert [s.application for s in route] == ["AGI", "Goto"]
    agi_host = section(extensions, "globals").value("AGI_HOST")
    assert agi_urls(route, agi_host) == [
        f"agi://{agi_host}/{dialplan.QUEUE_EXIT_SCRIPT}"
    ]


FALLBACK = f"{dialplan.FALLBACK_CONTEXT},{dialplan.FALLBACK_EXTEN},1"


@pytest.mark.parametrize(
    ("context", "exten"),
    [
        (dialplan.INBOUND_CONTEXT, "2001"),
        *[(dialplan.QUEUE_EXIT_CONTEXT, e) for e in sorted(dialplan.QUEUE_EXIT_EXTENS)],
    ],
)
def test_caller_falls_back_to_a_queue_not_hangup_when_a_script_returns(
    extensions: list[Section], context: str, exten: str
) -> None:
    route = context_for(dialplan_steps(extensions), context, exten)
    agi = next(i for i, s in enumerate(route) if s.application == "AGI")
    after = route[agi + 1 :]
    assert [(s.application, s.data) for s in after] == [("Goto", FALLBACK)]


def test_caller_moved_halfway_still_waits_when_the_script_is_cut_off(
    extensions: list[Section],
) -> None:
    steps = dialplan_steps(extensions)
    route = context_for(steps, dialplan.WAIT_CONTEXT, dialplan.WAIT_INVALID_EXTEN)
    assert [(s.pattern, s.priority) for s in route] == [("i", "1")]
    assert [(s.application, s.data) for s in route] == [
        ("Goto", f"{dialplan.WAIT_EXTEN},{dialplan.ANNOUNCE_LABEL}")
    ]
    # SET EXTENSION done too, SET PRIORITY not: the loop goes on after the step
    # the script ran at (cc-inbound's AGI is its third)
    wait = context_for(steps, dialplan.WAIT_CONTEXT, dialplan.WAIT_EXTEN)
    inbound = context_for(steps, dialplan.INBOUND_CONTEXT, "2001")
    agi_priority = [s.application for s in inbound].index("AGI") + 1
    assert len(wait) > agi_priority


def test_fallback_waits_in_the_default_queue_from_the_announcement_when_entered(
    extensions: list[Section],
) -> None:
    steps = dialplan_steps(extensions)
    route = context_for(steps, dialplan.FALLBACK_CONTEXT, dialplan.FALLBACK_EXTEN)
    queue, default = dialplan.QUEUE_VARIABLE, dialplan.DEFAULT_QUEUE_VARIABLE
    assert [(s.application, s.data) for s in route[1:]] == [
        ("ExecIf", f'$["${{{queue}}}" = ""]?Set({queue}=${{{default}}})'),
        ("Set", f"{dialplan.QUEUED_AT_VARIABLE}=${{EPOCH}}"),
        (
            "Goto",
            f"{dialplan.WAIT_CONTEXT},{dialplan.WAIT_EXTEN},{dialplan.ANNOUNCE_LABEL}",
        ),
    ]
    wait = context_for(steps, dialplan.WAIT_CONTEXT, dialplan.WAIT_EXTEN)
    announce = [s for s in wait if s.priority == f"n({dialplan.ANNOUNCE_LABEL})"]
    assert [s.application for s in announce] == ["AGI"]
    globals_ = section(extensions, "globals")
    assert globals_.value(default) == dialplan.DEFAULT_QUEUE
    assert Settings().acd.default_queue == dialplan.DEFAULT_QUEUE
    assert dialplan.DEFAULT_QUEUE in {q.id for q in Settings().acd.queues}


def test_queue_exit_extensions_are_the_acd_exit_kinds_when_compared() -> None:
    assert {ExitKind.VOICEMAIL.value, ExitKind.CALLBACK.value} == (
        dialplan.QUEUE_EXIT_EXTENS
    )


def test_every_agi_script_is_used_when_the_dialplan_is_read(
    extensions: list[Section],
) -> None:
    agi_host = section(extensions, "globals").value("AGI_HOST")
    urls = [
        url
        for context in dialplan_steps(extensions).values()
        for url in agi_urls(context, agi_host)
    ]
    assert {url.rsplit("/", 1)[1] for url in urls} == dialplan.AGI_SCRIPTS


@pytest.mark.parametrize("endpoint", ["1001", "1004"])
def test_agent_leg_dials_the_pjsip_endpoint_when_originated(
    extensions: list[Section], endpoint: str
) -> None:
    channel = dialplan.agent_channel(endpoint)
    exten, _, context = channel.removeprefix("Local/").partition("@")
    route = context_for(dialplan_steps(extensions), context, exten)
    (dial,) = [s for s in route if s.application == "Dial"]
    assert dial.data.split(",")[0] == "PJSIP/${EXTEN}"
    endpoints = [
        s
        for s in conf("pjsip.conf")
        if s.name == endpoint and s.options == "agent-endpoint"
    ]
    assert endpoints, f"no PJSIP endpoint {endpoint}"


def test_agent_phone_may_transfer_and_atxfer_has_codes_when_configured(
    extensions: list[Section],
) -> None:
    exten, _, context = (
        dialplan.agent_channel("1001").removeprefix("Local/").partition("@")
    )
    route = context_for(dialplan_steps(extensions), context, exten)
    (dial,) = [s for s in route if s.application == "Dial"]
    options = dial.data.split(",")[2] if dial.data.count(",") >= 2 else ""
    assert "t" in options, "the agent's phone must be allowed to transfer (Dial t)"
    features = {s.name: s for s in conf("features.conf")}
    assert features["featuremap"].value("atxfer"), "AMI Atxfer needs the atxfer code"
    assert features["general"].value("atxferabort"), "CancelAtxfer needs atxferabort"


def test_outbound_number_goes_to_the_trunk_when_originated(
    extensions: list[Section],
) -> None:
    exten, _, context = (
        dialplan.outbound_channel("+74957654321").removeprefix("Local/").partition("@")
    )
    route = context_for(dialplan_steps(extensions), context, exten)
    assert route[0].application == "Dial"
    assert route[0].data.startswith("PJSIP/${EXTEN}@trunk")


def test_patterns_avoid_lower_case_wildcards_when_written(
    extensions: list[Section],
) -> None:
    for context, steps in dialplan_steps(extensions).items():
        for step in steps:
            if step.pattern.startswith("_"):
                outside_brackets = re.sub(r"\[[^\]]*\]", "", step.pattern)
                assert not re.search(r"[a-z]", outside_brackets), (context, step)


def labels(steps: list[Step], pattern: str) -> set[str]:
    """The `n(label)` priority labels of one extension."""
    return {
        m[1]
        for s in steps
        if s.pattern == pattern and (m := re.fullmatch(r"n\((\w+)\)", s.priority))
    }


def test_gotos_and_phone_contexts_exist_when_referenced(
    extensions: list[Section],
) -> None:
    steps = dialplan_steps(extensions)
    for name, context in steps.items():
        for step in context:
            if step.application != "Goto":
                continue
            *where, priority = step.data.split(",")
            target = where[0] if len(where) == 2 else name
            assert target in steps, step
            if not priority.isdigit():  # a label: in the same extension if none named
                pattern = where[-1] if where else step.pattern
                assert priority in labels(steps[target], pattern), step
    pjsip = conf("pjsip.conf")
    templates = {s.name: s for s in pjsip if s.options == "!"}
    for sec in pjsip:
        values = dict(sec.entries)
        for template in filter(None, sec.options.split(",")):
            if template != "!":
                values = dict(templates[template].entries) | values
        if values.get("type") == "endpoint":
            assert values["context"] in steps, sec.name


def test_asterisk_names_itself_as_the_first_pbx_when_configured_as_shipped(
    extensions: list[Section],
) -> None:
    globals_ = section(extensions, "globals")
    assert globals_.value(dialplan.PBX_ID_VARIABLE) == dialplan.PBX_ID_DEFAULT
    assert Settings().pbxs[0].id == dialplan.PBX_ID_DEFAULT


@pytest.mark.parametrize("mode", sorted(dialplan.SPY_OPTIONS))
def test_spy_extension_runs_chanspy_on_the_named_channel_when_originated(
    extensions: list[Section], mode: str
) -> None:
    route = context_for(dialplan_steps(extensions), dialplan.SPY_CONTEXT, mode)
    assert route[0].pattern == mode
    assert [s.application for s in route] == ["ChanSpy", "Hangup"]
    channel, options = route[0].data.split(",")
    assert channel == f"${{{dialplan.SPY_CHANNEL_VARIABLE}}}"
    assert options == dialplan.SPY_OPTIONS[mode]


def test_spy_options_say_listen_whisper_and_barge_when_read() -> None:
    options = dialplan.SPY_OPTIONS
    assert set(options) == {m.value for m in MonitorMode}
    assert "q" in options["listen"]
    assert not set("wWB") & set(options["listen"])
    assert "w" in options["whisper"]
    assert "B" not in options["whisper"]
    assert "B" in options["barge"]
    # every mode leaves with the agent's channel and takes its name in full
    assert all({"E", "u"} <= set(o) for o in options.values())


def test_phones_cannot_dial_into_the_spy_context_when_configured(
    extensions: list[Section],
) -> None:
    reachable = {dialplan.PHONES_CONTEXT}
    for sec in extensions:
        if sec.name in reachable:
            reachable |= set(sec.values("include"))
    assert dialplan.SPY_CONTEXT not in reachable
    pjsip = conf("pjsip.conf")
    assert not [s for s in pjsip if s.values("context") == [dialplan.SPY_CONTEXT]]
