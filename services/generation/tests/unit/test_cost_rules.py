"""Every cost rule, alone and combined: whole credits, exact arithmetic, rounded up."""

from __future__ import annotations

from typing import Any

import pytest
from services.generation.tests.catalogue_samples import default_queries

from atelier_generation.domain.catalogue import Model
from atelier_generation.domain.cost import cost_of, describe

PROPERTIES = {
    "duration": {"type": "number", "minimum": 0, "maximum": 60, "default": 5},
    "resolution": {"type": "string", "enum": ["480p", "720p", "1080p"], "default": "480p"},
    "num_outputs": {"type": "integer", "minimum": 1, "maximum": 4, "default": 1},
}


def model(cost: dict[str, Any], **outputs: Any) -> Model:
    return Model.model_validate(
        {
            "id": "m",
            "label": "M",
            "provider": "local",
            "provider_model": "video",
            "max_duration_s": 60,
            "outputs": {"kind": "video", "content_type": "video/mp4", **outputs},
            "cost": cost,
            "input_schema": {"type": "object", "properties": PROPERTIES},
        }
    )


BY_RESOLUTION = {"field": "resolution", "multipliers": {"480p": 1, "720p": 1.5, "1080p": 2}}


@pytest.mark.parametrize(
    ("cost", "outputs", "params", "credits"),
    [
        ({"flat": 5}, {}, {}, 5),
        ({"flat": 0}, {}, {}, 0),
        ({"per_output": 3}, {"count": 2}, {}, 6),
        ({"per_output": 2}, {"count_field": "num_outputs"}, {"num_outputs": 4}, 8),
        ({"per_second": 2}, {}, {"duration": 5}, 10),
        ({"per_second": 2}, {}, {"duration": 7.5}, 15),
        ({"per_second": 0.3}, {}, {"duration": 5}, 2),  # 1.5 rounds up
        (
            {"per_second": 2, "by_resolution": BY_RESOLUTION},
            {},
            {"duration": 5, "resolution": "720p"},
            15,
        ),
        ({"flat": 2, "by_resolution": BY_RESOLUTION}, {}, {"resolution": "1080p"}, 4),
        ({"flat": 4, "per_second": 1}, {}, {"duration": 10}, 14),
        (
            {"flat": 1, "per_output": 2, "per_second": 1, "by_resolution": BY_RESOLUTION},
            {"count_field": "num_outputs"},
            {"num_outputs": 2, "duration": 3, "resolution": "720p"},
            12,  # (1 + 2x2 + 1x3) x 1.5
        ),
    ],
    ids=[
        "flat",
        "free",
        "per output, fixed count",
        "per output, chosen count",
        "per second",
        "per second, fractional duration",
        "fractional rate rounds up",
        "per second by resolution",
        "flat by resolution",
        "flat plus per second",
        "everything at once",
    ],
)
def test_each_rule_prices_validated_params(
    cost: dict[str, Any], outputs: dict[str, Any], params: dict[str, Any], credits: int
) -> None:
    priced = model(cost, **outputs)
    with_defaults = {"duration": 5, "resolution": "480p", "num_outputs": 1, **params}

    assert cost_of(priced, with_defaults) == credits


def test_arithmetic_is_exact_so_a_whole_price_is_never_rounded_up() -> None:
    # 0.1 x 30 is 3.0000000000000004 in binary floating point, which would round up to 4.
    assert cost_of(model({"per_second": 0.1}), {"duration": 30}) == 3


@pytest.mark.parametrize(
    ("cost", "words"),
    [
        ({"flat": 5}, "5 credits"),
        ({"flat": 1}, "1 credit"),
        ({"per_output": 2}, "2 credits per output"),
        (
            {"per_second": 2, "by_resolution": BY_RESOLUTION},
            "2 credits per second of duration; by resolution: x1 at 480p, x1.5 at 720p, x2 at 1080p; rounded up",
        ),
        (
            {"flat": 4, "per_second": 0.5},
            "4 credits + 0.5 credits per second of duration; rounded up",
        ),
    ],
)
def test_a_rule_is_described_in_words(cost: dict[str, Any], words: str) -> None:
    assert describe(model(cost)) == words


@pytest.mark.parametrize(
    ("tool", "params", "credits"),
    [
        ("music-inspiration", {"prompt": "calm piano"}, 5),
        ("text-to-image", {"prompt": "a fox"}, 2),
        ("text-to-image", {"prompt": "a fox", "resolution": "2K"}, 4),
        ("text-to-image", {"prompt": "a fox", "num_outputs": 3}, 6),
        ("text-to-video", {"prompt": "waves"}, 10),
        ("text-to-video", {"prompt": "waves", "resolution": "720p", "duration": 10}, 30),
        ("upscale", {"image_url": "https://a.example/i.png", "scale": "4x"}, 4),
    ],
)
def test_the_shipped_catalogue_prices(tool: str, params: dict[str, Any], credits: int) -> None:
    assert default_queries().estimate(tool, "local", params).credits == credits
