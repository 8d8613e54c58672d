"""The start-up check of the catalogue's local models: each names a model this provider has and
the content type that model makes, so a typo stops the service instead of failing every job."""

from __future__ import annotations

from atelier_generation.domain.catalogue import Catalogue
from atelier_generation.domain.errors import CatalogueProblem
from atelier_generation.providers.local.provider import NAME
from atelier_generation.providers.local.renderers import RENDERERS


def check_local_models(catalogue: Catalogue) -> None:
    """Raises CatalogueProblem at the first local model the provider cannot run as described."""
    for t, tool in enumerate(catalogue.tools):
        for m, model in enumerate(tool.models):
            if model.provider != NAME:
                continue
            where = f"tools[{t}].models[{m}]"
            renderer = RENDERERS.get(model.provider_model)
            if renderer is None:
                known = ", ".join(sorted(RENDERERS))
                raise CatalogueProblem(
                    f"{where}.provider_model",
                    f"the local provider has no model {model.provider_model!r} (known: {known})",
                )
            if model.outputs.content_type != renderer.content_type:
                raise CatalogueProblem(
                    f"{where}.outputs.content_type",
                    f"local {model.provider_model!r} makes {renderer.content_type}",
                )
