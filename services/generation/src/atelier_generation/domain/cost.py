"""Credits a generation costs, from its model's cost rule and its validated params.

price = (flat + per_output x outputs + per_second x seconds) x resolution multiplier, rounded up
to a whole credit. Arithmetic is exact (fractions), so 1.5 x 2 is 3, never 3.0000000000000004.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from atelier_generation.domain.catalogue import CostRule, Model


def exact(number: float) -> Fraction:
    """A price or a param as the decimal it was written as (0.1 is 1/10, not a binary float)."""
    return Fraction(number) if isinstance(number, int) else Fraction(str(number))


def choice_key(value: object) -> str:
    """How an input value is looked up among the multipliers: strings as-is, numbers as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def price(rule: CostRule, *, outputs: int, seconds: Fraction, multiplier: Fraction) -> int:
    """The formula itself, shared by the estimate and by the start-up check of its bounds."""
    total = exact(rule.flat) + exact(rule.per_output) * outputs + exact(rule.per_second) * seconds
    return math.ceil(total * multiplier)


def cost_of(model: Model, params: Mapping[str, Any]) -> int:
    """Credits for one generation; `params` were validated and carry the schema's defaults."""
    rule = model.cost
    # The catalogue check made every field read here have a default and a price.
    seconds = exact(params[rule.duration_field]) if rule.per_second else Fraction(0)
    multiplier = Fraction(1)
    if rule.by_resolution is not None:
        chosen = choice_key(params[rule.by_resolution.field])
        multiplier = exact(rule.by_resolution.multipliers[chosen])
    return price(
        rule, outputs=model.output_count(dict(params)), seconds=seconds, multiplier=multiplier
    )


def describe(model: Model) -> str:
    """The rule in words for the UI, e.g. "2 credits per second of duration, x1.5 at 720p"."""
    rule = model.cost
    parts = []
    if rule.flat or not (rule.per_output or rule.per_second):
        parts.append(_credits(rule.flat))
    if rule.per_output:
        parts.append(f"{_credits(rule.per_output)} per output")
    if rule.per_second:
        parts.append(f"{_credits(rule.per_second)} per second of {rule.duration_field}")
    text = " + ".join(parts)
    if rule.by_resolution is not None:
        steps = ", ".join(
            f"x{_number(factor)} at {choice}"
            for choice, factor in rule.by_resolution.multipliers.items()
        )
        text += f"; by {rule.by_resolution.field}: {steps}"
    return text + ("; rounded up" if _may_round(rule) else "")


def _credits(amount: float) -> str:
    return f"{_number(amount)} credit" + ("" if amount == 1 else "s")


def _number(value: float) -> str:
    fraction = exact(value)
    return str(fraction.numerator) if fraction.denominator == 1 else str(value)


def _may_round(rule: CostRule) -> bool:
    factors = rule.by_resolution.multipliers.values() if rule.by_resolution else ()
    numbers = (rule.flat, rule.per_output, rule.per_second, *factors)
    return any(exact(n).denominator != 1 for n in numbers)
