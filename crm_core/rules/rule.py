"""A compiled rule: parsed and checked once, evaluated many times. The entry point of
the rules language for the rest of the system. Pure.

    rule = compile_rule('Customer.Category = "BIS" and Appeal.Attr.Speed >= 9', schema)
    rule.holds(EvalContext(fields={...}, today=..., now=...))
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_core.rules.checker import check
from crm_core.rules.errors import RuleTypeError
from crm_core.rules.evaluator import EvalContext, evaluate, truth
from crm_core.rules.model import Expr, Schema, Value, ValueType
from crm_core.rules.parser import parse
from crm_core.rules.printer import to_text


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    source: str
    expr: Expr
    result: ValueType
    """What the rule computes, as far as the schema tells."""

    @property
    def canonical(self) -> str:
        return to_text(self.expr)

    def holds(self, context: EvalContext) -> bool:
        """Whether a boolean rule holds (null counts as false)."""
        return truth(self.expr, context)

    def value(self, context: EvalContext) -> Value:
        return evaluate(self.expr, context)


def compile_rule(
    source: str, schema: Schema | None = None, *, expect: ValueType | None = None
) -> Rule:
    """Parse and check `source`.

    `schema` None accepts every field. `expect` (e.g. BOOLEAN for a guard) is the type
    the rule must compute. Raises RuleSyntaxError, RuleFieldError or RuleTypeError, each
    naming the position.
    """
    expr = parse(source)
    result = check(expr, schema)
    if expect is not None and result not in (expect, ValueType.ANY, ValueType.NULL):
        raise RuleTypeError(
            f"the rule must compute a {expect}, not a {result}", expr.position
        )
    return Rule(source=source, expr=expr, result=result)
