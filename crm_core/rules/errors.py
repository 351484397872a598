"""Errors of the rules language; each names the position (line:column) in the rule text.

ValidationFailed (crm_core.errors)
└── RuleError                  any problem with a rule            -> HTTP 422
    ├── RuleSyntaxError        the text is not a rule; says what was expected
    ├── RuleFieldError         a field path the schema does not declare
    ├── RuleTypeError          operands of the wrong types (found at check time)
    └── RuleEvaluationError    a value of the wrong type met at evaluation time
"""

from __future__ import annotations

from crm_core.errors import FieldError, ValidationFailed
from crm_core.rules.model import Position


class RuleError(ValidationFailed):
    error_id = "invalid_rule"

    def __init__(self, reason: str, position: Position, *, field: str = "rule") -> None:
        self.reason = reason
        self.position = position
        super().__init__([FieldError(field, f"{position}: {reason}")])


class RuleSyntaxError(RuleError):
    pass


class RuleFieldError(RuleError):
    pass


class RuleTypeError(RuleError):
    pass


class RuleEvaluationError(RuleError):
    pass
