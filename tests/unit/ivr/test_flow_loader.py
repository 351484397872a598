"""Flow files: refused with errors naming the file, the node and the field; the
running version stays active; new versions serve new calls only."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ivr.errors import FlowInvalid, FlowProblem
from ivr.flow import parse_flow
from ivr.loader import DEMO_FLOWS, FlowRegistry
from ivr.model import CollectNode, MenuNode, NodeId, SurveyNode


def minimal() -> dict[str, Any]:
    return {
        "flow": "demo",
        "language": "en",
        "numbers": ["100", "_2XX"],
        "start": "main",
        "operator": "operator",
        "nodes": {
            "main": {
                "kind": "menu",
                "prompt": [{"say": "Hello {customer.name}, press 1."}],
                "choices": [{"key": "1", "say": ["sales"], "goto": "sales"}],
                "default": "operator",
            },
            "sales": {"kind": "queue", "queue": "sales"},
            "reading": {
                "kind": "collect",
                "prompt": [{"say": "Your reading?"}],
                "into": "reading",
                "max_digits": 8,
                "confirm": True,
                "confirm_prompt": [{"say": "You said {value}. 1 yes, 2 no."}],
                "store_reading": {"failed_prompt": [{"say": "Not saved."}]},
                "next": "sales",
                "on_failure": "operator",
            },
            "operator": {"kind": "queue", "queue": "general"},
        },
    }


def problems_of(data: object) -> list[FlowProblem]:
    with pytest.raises(FlowInvalid) as caught:
        parse_flow(data, source="flows/demo.yaml")
    return list(caught.value.problems)


def write(directory: Path, name: str, data: object) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "node", "field", "words"),
    [
        (
            lambda d: d["nodes"].__setitem__("x", {"kind": "dance", "next": "main"}),
            "x",
            "",
            "unknown node kind 'dance'",
        ),
        (
            lambda d: d["nodes"]["main"]["choices"][0].__setitem__("goto", "nowhere"),
            "main",
            "choices[0].goto",
            "'nowhere', which is not a node",
        ),
        (
            lambda d: d["nodes"]["main"]["prompt"][0].__setitem__(
                "say", "Hi {customer.nmae}"
            ),
            "main",
            "prompt[0].say",
            "unknown field {customer.nmae}",
        ),
        (
            lambda d: d["nodes"]["main"]["prompt"][0].pop("say"),
            "main",
            "prompt[0]",
            "a prompt is a `file`, a `say` text, or a `file` with the `say` text",
        ),
        (
            lambda d: d["nodes"]["main"]["prompt"][0].__setitem__(
                "file", "cc/en/{customer.name}"
            ),
            "main",
            "prompt[0].file",
            "String should match pattern",
        ),
        (
            lambda d: d["nodes"]["main"].__setitem__("retries", -1),
            "main",
            "retries",
            "greater than or equal to 0",
        ),
        (
            lambda d: d["nodes"]["main"].__setitem__("colour", "red"),
            "main",
            "colour",
            "Extra inputs are not permitted",
        ),
        (
            lambda d: d.__setitem__("operator", "main"),
            "",
            "operator",
            "must be a queue, transfer, voicemail or hangup node",
        ),
        (
            lambda d: d["nodes"]["reading"].__setitem__("confirm", False),
            "reading",
            "store_reading",
            "read back before it is stored: set confirm: true",
        ),
        (
            lambda d: d["nodes"]["reading"].__setitem__("max_digits", 20),
            "reading",
            "max_digits",
            "at most 12 digits",
        ),
        (
            lambda d: d["nodes"]["reading"]["store_reading"].__setitem__(
                "on_error", "gone"
            ),
            "reading",
            "store_reading.on_error",
            "'gone', which is not a node",
        ),
        (
            lambda d: d["nodes"]["reading"]["store_reading"].pop("failed_prompt"),
            "reading",
            "store_reading.failed_prompt",
            "Field required",
        ),
        (
            lambda d: d["nodes"]["reading"]["store_reading"].__setitem__(
                "failed_prompt", [{"say": "Not saved, {vars.nothing}."}]
            ),
            "reading",
            "store_reading.failed_prompt[0].say",
            "unknown field {vars.nothing}",
        ),
    ],
)
def test_flow_is_refused_naming_node_and_field_when_it_is_invalid(
    change: Any, node: str, field: str, words: str
) -> None:
    data = minimal()
    change(data)
    found = problems_of(data)
    assert any(
        p.node == node and p.field == field and words in p.message for p in found
    ), found
    assert all(p.source == "flows/demo.yaml" for p in found)


def test_loop_without_input_is_refused_when_automatic_nodes_form_a_cycle() -> None:
    data = minimal()
    data["nodes"]["a"] = {"kind": "say", "text": "A", "next": "b"}
    data["nodes"]["b"] = {
        "kind": "branch",
        "cases": [{"when": "Call.Holiday", "goto": "a"}],
        "else": "a",
    }
    found = problems_of(data)
    assert [p.message for p in found if "loop" in p.message] == [
        "loop without caller input: a -> b -> a"
    ]
    assert found[0].node == "a"


def test_loop_is_accepted_when_a_menu_waits_for_input_in_it() -> None:
    data = minimal()
    data["nodes"]["again"] = {"kind": "say", "text": "Again", "next": "main"}
    data["nodes"]["main"]["default"] = "again"
    assert parse_flow(data, source="x").nodes[NodeId("again")].id == "again"


def test_bad_rule_is_refused_with_its_position_when_the_syntax_is_wrong() -> None:
    data = minimal()
    data["nodes"]["route"] = {
        "kind": "branch",
        "cases": [{"when": "Customer.Vip = = true", "goto": "sales"}],
        "else": "main",
    }
    data["start"] = "route"
    [problem] = problems_of(data)
    assert (problem.node, problem.field) == ("route", "cases[0].when")
    assert problem.message.startswith("1:")


def test_lookup_field_is_refused_when_the_lookup_kind_lacks_it() -> None:
    data = minimal()
    data["nodes"]["bal"] = {"kind": "lookup", "lookup": "balance", "next": "say"}
    data["nodes"]["say"] = {
        "kind": "say",
        "text": "{lookup.balance.amont:money}",
        "next": "main",
    }
    [problem] = problems_of(data)
    assert (problem.node, problem.field) == ("say", "text")
    assert "a balance lookup has amount" in problem.message


def test_demo_flows_load_and_serve_their_numbers_when_published() -> None:
    registry = FlowRegistry()
    loaded = registry.load_directory(DEMO_FLOWS)
    assert loaded.refused == ()
    assert {f.name for f in loaded.published} == {"main-en", "main-ru", "main-ko"}
    assert registry.flow_for("88001234567") is registry.current("main-en")
    assert registry.flow_for("8801") is registry.current("main-ru")
    assert registry.flow_for("8802") is registry.current("main-ko")
    assert registry.flow_for("12345") is None


def test_running_version_stays_active_when_a_new_file_is_invalid(
    tmp_path: Path,
) -> None:
    registry = FlowRegistry()
    path = write(tmp_path, "demo.yaml", minimal())
    first = registry.publish_file(path)
    broken = copy.deepcopy(minimal())
    broken["nodes"]["main"]["default"] = "gone"
    write(tmp_path, "demo.yaml", broken)
    result = registry.load_directory(tmp_path)
    [refused] = result.refused
    assert refused.problems[0].source == str(path)
    assert refused.problems[0].node == "main"
    assert refused.problems[0].field == "default"
    assert registry.flow_for("100") is first


def test_new_version_serves_new_calls_when_a_changed_file_is_published(
    tmp_path: Path,
) -> None:
    registry = FlowRegistry()
    path = write(tmp_path, "demo.yaml", minimal())
    first = registry.publish_file(path)
    assert registry.publish_file(path) is first  # unchanged: no new version
    changed = minimal()
    changed["nodes"]["sales"]["queue"] = "sales-2"
    write(tmp_path, "demo.yaml", changed)
    second = registry.publish_file(path)
    assert (first.version, second.version) == (1, 2)
    assert registry.flow_for("234") is second
    assert (
        first.nodes[NodeId("sales")] != second.nodes[NodeId("sales")]
    )  # running calls keep v1
    assert registry.versions("demo") == (first, second)


def test_file_is_refused_with_its_line_when_it_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("flow: x\nnodes: [\n", encoding="utf-8")
    with pytest.raises(FlowInvalid) as caught:
        FlowRegistry().publish_file(path)
    assert caught.value.problems[0].source == str(path)
    assert "line 3" in caught.value.problems[0].message


def test_flow_is_refused_when_another_flow_serves_the_same_number(
    tmp_path: Path,
) -> None:
    registry = FlowRegistry()
    registry.publish(minimal(), source="a.yaml")
    other = minimal()
    other["flow"] = "other"
    with pytest.raises(FlowInvalid) as caught:
        registry.publish(other, source="b.yaml")
    assert caught.value.problems[0].field == "numbers"
    assert registry.current("other") is None


@pytest.mark.parametrize(
    ("dialled", "expected"),
    [("100", "exact"), ("200", "pattern"), ("2000", None), ("300", None)],
)
def test_exact_number_wins_when_a_pattern_also_matches(
    dialled: str, expected: str | None
) -> None:
    registry = FlowRegistry()
    exact = minimal()
    exact.update(flow="exact", numbers=["100", "2001"])
    pattern = minimal()
    pattern.update(flow="pattern", numbers=["_[12]XX"])
    registry.publish(exact, source="exact.yaml")
    registry.publish(pattern, source="pattern.yaml")
    flow = registry.flow_for(dialled)
    assert (None if flow is None else flow.name) == expected


def test_reading_is_stored_on_the_main_meter_and_fails_to_operator_when_unset() -> None:
    flow = parse_flow(minimal(), source="flows/demo.yaml")

    node = flow.nodes[NodeId("reading")]

    assert isinstance(node, CollectNode)
    assert node.store is not None
    assert (node.store.meter, node.store.on_error) == ("main", "operator")
    assert len(node.store.failed_prompts) == 1


@pytest.mark.parametrize("name", ["main-en", "main-ru"])
def test_demo_menus_take_both_a_key_and_spoken_words_when_published(
    name: str,
) -> None:
    registry = FlowRegistry()
    registry.load_directory(DEMO_FLOWS)
    flow = registry.current(name)
    assert flow is not None

    menus = [n for n in flow.nodes.values() if isinstance(n, MenuNode | SurveyNode)]

    assert len(menus) >= 3
    for menu in menus:
        choices = menu.choices if isinstance(menu, MenuNode) else menu.answers
        assert all(c.key is not None and c.words for c in choices), menu.id


def test_file_prompt_keeps_the_text_it_says_when_both_are_given() -> None:
    data = minimal()
    data["nodes"]["main"]["prompt"] = [{"file": "cc/en/menu", "say": "Press 1."}]
    flow = parse_flow(data, source="flows/demo.yaml")
    main = flow.nodes[NodeId("main")]
    assert isinstance(main, MenuNode)
    [prompt] = main.prompts
    assert prompt.file == "cc/en/menu"
    assert prompt.say is not None
    assert prompt.say.parts == ("Press 1.",)


def test_flows_sending_to_a_queue_are_named_when_asked() -> None:
    registry = FlowRegistry()
    registry.load_directory(DEMO_FLOWS)

    assert registry.flows_sending_to("general") == ("main-en", "main-ko", "main-ru")
    assert registry.flows_sending_to("nowhere") == ()
