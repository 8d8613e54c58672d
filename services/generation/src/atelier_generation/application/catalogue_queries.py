"""Use cases on the catalogue: list it, and price a request the way a submit would."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from atelier_generation.domain.catalogue import Catalogue, Model, Tool
from atelier_generation.domain.cost import cost_of, describe
from atelier_generation.domain.params import InputValidator, with_defaults


@dataclass(frozen=True)
class Priced:
    """A model with its rule in words and the price of a request that keeps every default."""

    model: Model
    rule: str
    default_cost: int


@dataclass(frozen=True)
class Estimate:
    """The credits a request costs, the rule that priced it, and the params as a provider sees them."""

    credits: int
    rule: str
    params: dict[str, Any]


class CatalogueQueries:
    """Answers from a catalogue checked at start; input validators are compiled once per model."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue
        self._validators = {
            (tool.id, model.id): InputValidator(model.input_schema)
            for tool in catalogue.tools
            for model in tool.models
        }

    def tools(self) -> tuple[Tool, ...]:
        return self._catalogue.tools

    def priced(self, model: Model) -> Priced:
        defaults = with_defaults(model.input_schema, {})
        return Priced(model, describe(model), cost_of(model, defaults))

    def estimate(self, tool_id: str, model_id: str, params: Mapping[str, Any]) -> Estimate:
        """Raises UnknownTool, UnknownModel or InvalidParams (naming every field at fault)."""
        model = self._catalogue.tool(tool_id).model(model_id)
        checked = self._validators[(tool_id, model_id)].check(params)
        return Estimate(cost_of(model, checked), describe(model), checked)
