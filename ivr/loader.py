"""Published IVR flows: YAML files (or API bodies) by dialled number or pattern,
with versions. A new version serves new calls only (calls keep the Flow they
started with); an invalid file is refused and the running version stays active.

Reads files synchronously: call it at start-up or from a thread, not per call.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml

from ivr.errors import FlowInvalid, FlowProblem
from ivr.flow import document_digest, parse_flow
from ivr.model import CallbackNode, Flow, FlowName, QueueNode

DEMO_FLOWS = Path(__file__).parent / "flows"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reloaded:
    published: tuple[Flow, ...]
    """New versions now serving new calls."""
    refused: tuple[FlowInvalid, ...]
    """Files refused; their flows (if any) keep their running version."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Publication:
    """When and by whom a version was published, when known (a file's is not)."""

    at: datetime | None = None
    """Aware UTC."""
    by: str | None = None
    """The login that published it."""


class FlowRegistry:
    """The flows in service. Not thread-safe: one owner publishes."""

    def __init__(self) -> None:
        self._flows: dict[FlowName, Flow] = {}
        self._history: dict[FlowName, list[Flow]] = {}
        self._documents: dict[tuple[FlowName, int], object] = {}
        self._publications: dict[tuple[FlowName, int], Publication] = {}
        self._taken: dict[FlowName, int] = {}

    def flow_for(self, dialled: str) -> Flow | None:
        """The current flow for a dialled number: an exact number first, then the
        most specific pattern; None when no flow serves it."""
        best: tuple[int, Flow] | None = None
        for flow in self._flows.values():
            for number in flow.numbers:
                score = _match_score(number, dialled)
                if score is not None and (best is None or score > best[0]):
                    best = (score, flow)
        return None if best is None else best[1]

    def current(self, name: str) -> Flow | None:
        return self._flows.get(FlowName(name))

    def versions(self, name: str) -> tuple[Flow, ...]:
        return tuple(self._history.get(FlowName(name), ()))

    def names(self) -> tuple[FlowName, ...]:
        """Every flow in service, sorted."""
        return tuple(sorted(self._flows))

    def document(self, name: str, version: int) -> object | None:
        """The document a version was published from (parsed YAML or a JSON body,
        as given), so it can be fetched, edited and published again."""
        return copy.deepcopy(self._documents.get((FlowName(name), version)))

    def publication(self, name: str, version: int) -> Publication:
        """When and by whom a version was published (empty when not known)."""
        return self._publications.get((FlowName(name), version), Publication())

    def flows_sending_to(self, queue: str) -> tuple[FlowName, ...]:
        """The flows in service that hand calls to `queue` (or ask a callback in
        it), by name."""
        return tuple(
            sorted(
                flow.name
                for flow in self._flows.values()
                if any(
                    isinstance(node, QueueNode | CallbackNode) and node.queue == queue
                    for node in flow.nodes.values()
                )
            )
        )

    def reserve(self, name: str, *, through: int) -> None:
        """Versions up to `through` are taken elsewhere (a store): the next one
        published for `name` is numbered after them."""
        key = FlowName(name)
        self._taken[key] = max(self._taken.get(key, 0), through)

    def candidate(
        self, data: object, *, source: str, version: int | None = None
    ) -> Flow:
        """The flow `publish` would serve, without publishing it: the running one
        if the document did not change, else a new version (`version`, or the next
        free number if that is not after the running one). Raises FlowInvalid."""
        name = data.get("flow") if isinstance(data, Mapping) else None
        running = self._flows.get(FlowName(str(name)))
        if running is not None and running.digest == document_digest(data):
            return running
        after = max(0 if running is None else running.version, self._taken_by(name))
        number = after + 1 if version is None or version <= after else version
        flow = parse_flow(data, source=source, version=number)
        self._check_numbers(flow)
        return flow

    def publish(
        self,
        data: object,
        *,
        source: str,
        version: int | None = None,
        published: Publication | None = None,
    ) -> Flow:
        """Validate and publish a flow document; returns the flow now serving new
        calls (the same version if the document did not change). `version` asks
        for a number (kept when it is after the running one). Raises
        FlowInvalid, leaving the running version in service."""
        flow = self.candidate(data, source=source, version=version)
        if flow is self._flows.get(flow.name):
            return flow
        self._flows[flow.name] = flow
        self._history.setdefault(flow.name, []).append(flow)
        self._documents[flow.name, flow.version] = copy.deepcopy(data)
        if published is not None:
            self._publications[flow.name, flow.version] = published
        return flow

    def _taken_by(self, name: object) -> int:
        return self._taken.get(FlowName(str(name)), 0)

    def publish_file(self, path: Path) -> Flow:
        """Publish one YAML file. Raises FlowInvalid naming the file."""
        source = str(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise invalid(source, f"cannot read the file: {error}") from None
        except yaml.YAMLError as error:
            raise invalid(source, f"not YAML: {yaml_where(error)}") from None
        return self.publish(data, source=source)

    def load_directory(self, directory: Path) -> Reloaded:
        """Publish every *.yaml under `directory` (again): changed files become new
        versions, unchanged ones stay, invalid ones are refused."""
        published: list[Flow] = []
        refused: list[FlowInvalid] = []
        for path in sorted(directory.glob("*.yaml")):
            try:
                before = self._flows_by_source(str(path))
                flow = self.publish_file(path)
            except FlowInvalid as error:
                refused.append(error)
                continue
            if flow is not before:
                published.append(flow)
        return Reloaded(published=tuple(published), refused=tuple(refused))

    def _flows_by_source(self, source: str) -> Flow | None:
        return next((f for f in self._flows.values() if f.source == source), None)

    def _check_numbers(self, flow: Flow) -> None:
        for other in self._flows.values():
            if other.name == flow.name:
                continue
            taken = sorted(set(other.numbers) & set(flow.numbers))
            if taken:
                raise invalid(
                    flow.source,
                    f"numbers {', '.join(taken)} are already served by flow "
                    f"{other.name!r} ({other.source})",
                    field="numbers",
                )


def invalid(source: str, message: str, *, field: str = "") -> FlowInvalid:
    """A flow refused for one problem not inside a node (reading, numbers)."""
    return FlowInvalid(
        [FlowProblem(source=source, node="", field=field, message=message)]
    )


def yaml_where(error: yaml.YAMLError) -> str:
    """Where in the text YAML failed, and why."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1} column {mark.column + 1}: {problem}"


_PATTERN_CHARS = {"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": "[0-9*#]+", "!": ".*"}


def _match_score(number: str, dialled: str) -> int | None:
    """How specifically `number` (exact or an Asterisk "_" pattern) matches
    `dialled`: exact numbers beat patterns, longer literal prefixes beat shorter."""
    if not number.startswith("_"):
        return 10_000 if number == dialled else None
    regex = ""
    literal = 0
    pattern = number[1:]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "[":
            end = pattern.find("]", i)
            if end < 0:
                return None  # an unclosed class matches nothing
            regex += f"[{pattern[i + 1 : end]}]"
            i = end + 1
            continue
        if char in _PATTERN_CHARS:
            regex += _PATTERN_CHARS[char]
        else:
            regex += re.escape(char)
            literal += 1
        i += 1
    return literal if re.fullmatch(regex, dialled) else None
