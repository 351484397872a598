"""Errors of IVR flows: a flow refused at load names the file, the node and the field.

IvrError
└── FlowInvalid         one FlowProblem per thing wrong with a flow file or body
    (the running version of the flow stays active)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class IvrError(Exception):
    """Base class of IVR errors."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowProblem:
    source: str
    """The file (or "api:<name>") the flow came from."""
    node: str
    """The node id, or "" for a flow-level field."""
    field: str
    """The field path inside the node, e.g. "choices[1].goto"."""
    message: str

    def __str__(self) -> str:
        where = f"node {self.node!r}" if self.node else "flow"
        field = f" field {self.field!r}" if self.field else ""
        return f"{self.source}: {where}{field}: {self.message}"


class FlowInvalid(IvrError):
    """A flow was refused; `problems` lists every problem found, in order."""

    def __init__(self, problems: Sequence[FlowProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))
