"""The models a generation may run on: the one the user chose, then its fallbacks.

A fallback runs the generation only with params its own schema accepts (its defaults filled
in); one that refuses them is skipped, so a fallback never sees a request it was not built for.
"""

from __future__ import annotations

from atelier_generation.domain.catalogue import Catalogue, Model
from atelier_generation.domain.errors import InvalidParams
from atelier_generation.domain.generation import Generation
from atelier_generation.domain.params import InputValidator
from atelier_generation.providers.routing.router import Candidate


class RunCandidates:
    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue
        self._validators: dict[tuple[str, str], InputValidator] = {}

    def of(self, g: Generation) -> list[Candidate]:
        tool = self._catalogue.tool(g.tool)
        chosen = tool.model(g.model)
        candidates = [Candidate(chosen, g.params)]
        for fallback in (tool.model(model_id) for model_id in chosen.fallbacks):
            try:
                params = self._validator(g.tool, fallback).check(g.params)
            except InvalidParams:
                continue
            candidates.append(Candidate(fallback, params))
        return candidates

    def providers_of(self, tool_id: str, model_id: str) -> list[str]:
        """The providers the model may run on, its own first."""
        tool = self._catalogue.tool(tool_id)
        chosen = tool.model(model_id)
        return [chosen.provider, *(tool.model(f).provider for f in chosen.fallbacks)]

    def _validator(self, tool_id: str, model: Model) -> InputValidator:
        key = (tool_id, model.id)
        if key not in self._validators:
            self._validators[key] = InputValidator(model.input_schema)
        return self._validators[key]
