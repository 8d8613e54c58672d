"""Rules of a catalogue that span fields: unique ids, known adapters, valid input schemas, and
prices that follow from bounded, defaulted inputs, so no request can cost an unbounded amount."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from fractions import Fraction
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

from atelier_generation.domain.catalogue import Catalogue, Model, Tool
from atelier_generation.domain.cost import choice_key, exact, price
from atelier_generation.domain.errors import CatalogueProblem, shown

# Far above any real price, far below int64: a typo such as per_second: 2000 is caught at start.
MAX_COST = 1_000_000


def check_catalogue(catalogue: Catalogue, adapters: Collection[str]) -> None:
    """Raises CatalogueProblem at the first rule broken, naming its key path."""
    _unique((tool.id for tool in catalogue.tools), "tools[{}].id")
    for t, tool in enumerate(catalogue.tools):
        _unique((model.id for model in tool.models), f"tools[{t}].models[{{}}].id")
        for m, model in enumerate(tool.models):
            _check_model(model, f"tools[{t}].models[{m}]", adapters)
            _check_fallbacks(tool, model, f"tools[{t}].models[{m}].fallbacks")


def _unique(ids: Iterator[str], where: str) -> None:
    seen: dict[str, int] = {}
    for index, identifier in enumerate(ids):
        if identifier in seen:
            raise CatalogueProblem(
                where.format(index), f"{identifier!r} repeats {where.format(seen[identifier])}"
            )
        seen[identifier] = index


def _check_model(model: Model, where: str, adapters: Collection[str]) -> None:
    if model.provider not in adapters:
        known = ", ".join(sorted(adapters))
        raise CatalogueProblem(
            f"{where}.provider", f"unknown adapter {model.provider!r} (known: {known})"
        )
    _check_schema(model.input_schema, f"{where}.input_schema")
    bounds = _PriceBounds(model, where)
    highest = price(
        model.cost,
        outputs=bounds.most_outputs(),
        seconds=bounds.longest(),
        multiplier=bounds.largest_multiplier(),
    )
    if highest > MAX_COST:
        raise CatalogueProblem(
            f"{where}.cost", f"can reach {highest:,} credits, above the limit of {MAX_COST:,}"
        )


def _check_fallbacks(tool: Tool, model: Model, where: str) -> None:
    """A fallback is another model of the same tool that makes the same kind of output. Its
    params may differ: a generation whose params it does not accept skips it at submit."""
    ids = {other.id: other for other in tool.models}
    _unique(iter(model.fallbacks), f"{where}[{{}}]")
    for index, fallback in enumerate(model.fallbacks):
        other = ids.get(fallback)
        if other is None:
            raise CatalogueProblem(
                f"{where}[{index}]", f"{fallback!r} is not a model of tool {tool.id!r}"
            )
        if other is model:
            raise CatalogueProblem(f"{where}[{index}]", "a model cannot be its own fallback")
        if other.outputs.kind != model.outputs.kind:
            raise CatalogueProblem(
                f"{where}[{index}]",
                f"{fallback!r} makes {other.outputs.kind}, not {model.outputs.kind}",
            )


def _check_schema(schema: Mapping[str, Any], where: str) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise CatalogueProblem(
            _schema_path(where, error.absolute_path), _cut(error.message)
        ) from None
    if schema.get("type") != "object":
        raise CatalogueProblem(f"{where}.type", 'must be "object": params are a JSON object')
    for path, reference in _references(schema, where):
        if not reference.startswith("#"):
            # A remote reference would make validation fetch URLs at request time.
            raise CatalogueProblem(
                path, f"only local references (#/...) are allowed, got {shown(reference)}"
            )


def _schema_path(where: str, path: Collection[object]) -> str:
    return where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _references(node: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield f"{where}.{key}", value
            yield from _references(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _references(value, f"{where}[{index}]")


def _cut(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "…"


class _PriceBounds:
    """The inputs a price reads, checked to be bounded and defaulted; their extremes."""

    def __init__(self, model: Model, where: str) -> None:
        self._model = model
        self._where = where
        self._properties = model.input_schema.get("properties") or {}

    def _field(self, name: str, where: str) -> Mapping[str, Any]:
        spec = self._properties.get(name)
        if not isinstance(spec, Mapping):
            raise CatalogueProblem(where, f"{name!r} is not a property of input_schema")
        if "default" not in spec:
            # Every field a price reads has a default, so a request may leave it out.
            raise CatalogueProblem(where, f"input_schema property {name!r} needs a default")
        if not Draft202012Validator(spec).is_valid(spec["default"]):
            raise CatalogueProblem(where, f"the default of {name!r} breaks its own schema")
        return spec

    def _highest(self, spec: Mapping[str, Any], name: str, where: str) -> Fraction:
        top = spec.get("maximum", spec.get("exclusiveMaximum"))
        bottom = spec.get("minimum", spec.get("exclusiveMinimum"))
        numeric = spec.get("type") in ("integer", "number")
        if not numeric or not _is_number(top) or not _is_number(bottom) or bottom < 0:
            raise CatalogueProblem(
                where, f"{name!r} must be a number with a minimum >= 0 and a maximum"
            )
        return exact(top)

    def longest(self) -> Fraction:
        rule = self._model.cost
        if not rule.per_second:
            return Fraction(0)
        where = f"{self._where}.cost.duration_field"
        spec = self._field(rule.duration_field, where)
        return self._highest(spec, rule.duration_field, where)

    def most_outputs(self) -> int:
        outputs = self._model.outputs
        if outputs.count_field is None:
            return outputs.count
        where = f"{self._where}.outputs.count_field"
        spec = self._field(outputs.count_field, where)
        highest = self._highest(spec, outputs.count_field, where)
        if spec.get("type") != "integer" or not 1 <= highest <= 16:
            raise CatalogueProblem(
                where, f"{outputs.count_field!r} must be an integer from 1 to 16"
            )
        return int(highest)

    def largest_multiplier(self) -> Fraction:
        pricing = self._model.cost.by_resolution
        if pricing is None:
            return Fraction(1)
        where = f"{self._where}.cost.by_resolution"
        spec = self._field(pricing.field, f"{where}.field")
        choices = spec.get("enum")
        if not isinstance(choices, list) or not all(_is_choice(c) for c in choices):
            raise CatalogueProblem(
                f"{where}.field", f"{pricing.field!r} needs an enum of strings or integers"
            )
        keys = [choice_key(c) for c in choices]
        for key in keys:
            if key not in pricing.multipliers:
                raise CatalogueProblem(f"{where}.multipliers", f"no multiplier for {key!r}")
        for key in pricing.multipliers:
            if key not in keys:
                raise CatalogueProblem(
                    f"{where}.multipliers.{key}", f"is not a value of {pricing.field!r}"
                )
        return max(exact(factor) for factor in pricing.multipliers.values())


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_choice(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
