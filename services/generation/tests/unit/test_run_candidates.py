"""The models a generation may run on: its own, then each fallback that accepts its params."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml
from services.generation.tests.routing_support import routed_catalogue

from atelier_generation.adapters.catalogue_file import parse_catalogue
from atelier_generation.application.run_candidates import RunCandidates
from atelier_generation.domain.catalogue import Catalogue
from atelier_generation.domain.generation import CreditsState, Generation, Status
from atelier_generation.providers.provider import ADAPTER_NAMES

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def image(prompt: str, **params: Any) -> Generation:
    full = {"prompt": prompt, "aspect_ratio": "1:1", "resolution": "1K", "num_outputs": 1}
    return Generation(
        "gen-1", "acct", "text-to-image", "local", {**full, **params}, 2,
        Status.RUNNING, CreditsState.FROZEN, NOW, NOW,
    )  # fmt: skip


def with_short_spare() -> Catalogue:
    """The routed catalogue whose fallback takes prompts of at most 10 characters."""
    document = routed_catalogue().model_dump(mode="json", exclude_defaults=True)
    tool = next(t for t in document["tools"] if t["id"] == "text-to-image")
    tool["models"][1]["input_schema"]["properties"]["prompt"]["maxLength"] = 10
    return parse_catalogue(yaml.safe_dump(document), "short.yaml", ADAPTER_NAMES)


def test_the_chosen_model_comes_first_then_its_fallbacks_with_their_params() -> None:
    candidates = RunCandidates(routed_catalogue()).of(image("a lighthouse"))

    assert [(c.model.id, c.model.provider) for c in candidates] == [
        ("local", "replicate"),
        ("spare", "fal"),
    ]
    assert candidates[1].params["prompt"] == "a lighthouse"


def test_a_fallback_that_refuses_the_params_is_skipped() -> None:
    candidates = RunCandidates(with_short_spare()).of(image("a lighthouse at dawn"))

    assert [c.model.id for c in candidates] == ["local"]


def test_a_model_can_run_if_any_of_its_providers_can() -> None:
    runs = RunCandidates(routed_catalogue())

    assert runs.providers_of("text-to-image", "local") == ["replicate", "fal"]
