"""The catalogue is configuration: the shipped one loads, and every kind of mistake is refused
in one line naming the file, the key path and the reason."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from services.generation.tests.catalogue_samples import (
    SOURCE,
    default_queries,
    first_model,
    parsed,
    sample_document,
    sample_with,
)

from atelier_generation.adapters.catalogue_file import CatalogueError, parse_catalogue
from atelier_generation.providers.provider import ADAPTER_NAMES

TOOLS = [
    "text-to-image",
    "image-to-image",
    "upscale",
    "text-to-video",
    "image-to-video",
    "speech-to-video",
    "music-inspiration",
    "music-custom",
    "music-lyrics",
    "music-instrumental",
    "music-cover",
]


def test_the_shipped_catalogue_offers_every_tool_on_the_local_provider() -> None:
    tools = default_queries().tools()

    assert [tool.id for tool in tools] == TOOLS
    assert {tool.kind for tool in tools} == {"image", "video", "music"}
    assert all(model.provider == "local" for tool in tools for model in tool.models)


def test_the_shipped_prices_let_the_daily_free_credits_buy_two_songs() -> None:
    queries = default_queries()
    prices = {
        tool.id: queries.priced(model).default_cost
        for tool in queries.tools()
        for model in tool.models
    }

    assert all(prices[tool] == 5 for tool in TOOLS if tool.startswith("music-"))
    assert 2 <= prices["text-to-image"] <= 4
    assert prices["text-to-video"] >= 10


def test_a_valid_sample_loads() -> None:
    assert parsed(sample_document()).tool("text-to-video").model("local").max_duration_s == 60


def test_a_model_of_an_adapter_not_built_yet_still_loads() -> None:
    def remote(document: dict[str, Any]) -> None:
        first_model(document).update(provider="replicate", provider_model="owner/model")

    assert parsed(sample_with(remote)).tools[0].models[0].provider == "replicate"


def test_a_model_may_name_fallbacks_in_its_tool() -> None:
    catalogue = parsed(sample_with(_with_spare(fallbacks=["spare"])))

    assert catalogue.tools[0].models[0].fallbacks == ("spare",)


def _with_spare(**first: object) -> Callable[[dict[str, Any]], None]:
    """A second model, `spare`, on another provider; the first model's keys set to `first`."""

    def change(document: dict[str, Any]) -> None:
        spare = copy.deepcopy(first_model(document))
        spare.update(id="spare", provider="replicate", provider_model="owner/video")
        document["tools"][0]["models"].append(spare)
        first_model(document).update(first)

    return change


def _spare_of_kind(kind: str, content_type: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        _with_spare(fallbacks=["spare"])(document)
        document["tools"][0]["models"][1]["outputs"] = {"kind": kind, "content_type": content_type}

    return change


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    """A change that sets one key of the sample's first model, e.g. "cost.per_second"."""

    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = first_model(document)
        for part in parents:
            node = node[part]
        node[last] = value

    return change


def _properties(document: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = first_model(document)["input_schema"]["properties"]
    return properties


MODEL = "tools[0].models[0]"
BAD_CATALOGUES = {
    "a misspelt key": (_set("cost.per_secnd", 2), f"{MODEL}.cost.per_secnd", "Extra inputs"),
    "a negative price": (_set("cost.per_second", -1), f"{MODEL}.cost.per_second", "greater than"),
    "a price as text": (_set("cost.per_second", "2"), f"{MODEL}.cost.per_second", "valid number"),
    "an empty cost rule": (_set("cost", {}), f"{MODEL}.cost", "at least one of"),
    "an unknown output kind": (_set("outputs.kind", "text"), f"{MODEL}.outputs.kind", "'image'"),
    "an id with spaces": (_set("id", "my model"), f"{MODEL}.id", "pattern"),
    "no deadline": (
        lambda d: first_model(d).pop("max_duration_s"),
        f"{MODEL}.max_duration_s",
        "required",
    ),
    "an unknown adapter": (
        _set("provider", "midjourney"),
        f"{MODEL}.provider",
        "unknown adapter 'midjourney'",
    ),
    "an invalid JSON Schema": (
        _set("input_schema.properties.prompt.maxLength", -1),
        f"{MODEL}.input_schema.properties.prompt.maxLength",
        "-1",
    ),
    "a schema for a non-object": (
        _set("input_schema.type", "array"),
        f"{MODEL}.input_schema.type",
        "object",
    ),
    "a remote $ref": (
        _set("input_schema.properties.prompt", {"$ref": "https://example.com/s.json"}),
        f"{MODEL}.input_schema.properties.prompt.$ref",
        "only local references",
    ),
    "a price on a missing field": (
        _set("cost.duration_field", "length"),
        f"{MODEL}.cost.duration_field",
        "'length' is not a property",
    ),
    "a priced field without a default": (
        lambda d: _properties(d)["duration"].pop("default"),
        f"{MODEL}.cost.duration_field",
        "needs a default",
    ),
    "an unbounded duration": (
        lambda d: _properties(d)["duration"].pop("maximum"),
        f"{MODEL}.cost.duration_field",
        "a maximum",
    ),
    "a default outside its schema": (
        lambda d: _properties(d)["duration"].update(default=60),
        f"{MODEL}.cost.duration_field",
        "breaks its own schema",
    ),
    "a resolution without a price": (
        lambda d: _properties(d)["resolution"]["enum"].append("1080p"),
        f"{MODEL}.cost.by_resolution.multipliers",
        "no multiplier for '1080p'",
    ),
    "a price for no resolution": (
        _set("cost.by_resolution.multipliers", {"480p": 1, "720p": 2, "4K": 3}),
        f"{MODEL}.cost.by_resolution.multipliers.4K",
        "is not a value of 'resolution'",
    ),
    "a price beyond the limit": (
        _set("cost.per_second", 200_000),
        f"{MODEL}.cost",
        "above the limit",
    ),
    "an output count without bounds": (
        lambda d: (
            _set("outputs.count_field", "n")(d),
            _properties(d).update(n={"type": "integer", "minimum": 1, "default": 1}),
        ),
        f"{MODEL}.outputs.count_field",
        "a maximum",
    ),
    "an unknown local model": (
        _set("provider_model", "hologram"),
        f"{MODEL}.provider_model",
        "no model 'hologram'",
    ),
    "a content type the local model does not make": (
        _set("outputs.content_type", "video/webm"),
        f"{MODEL}.outputs.content_type",
        "makes video/mp4",
    ),
    "a tool id twice": (
        lambda d: d["tools"].append(dict(d["tools"][0])),
        "tools[1].id",
        "repeats tools[0].id",
    ),
    "a model id twice": (
        lambda d: d["tools"][0]["models"].append(first_model(d)),
        "tools[0].models[1].id",
        "repeats tools[0].models[0].id",
    ),
    "a fallback that is no model of the tool": (
        _set("fallbacks", ["nope"]),
        f"{MODEL}.fallbacks[0]",
        "'nope' is not a model of tool 'text-to-video'",
    ),
    "a model its own fallback": (
        _set("fallbacks", ["local"]),
        f"{MODEL}.fallbacks[0]",
        "its own fallback",
    ),
    "a fallback twice": (
        _with_spare(fallbacks=["spare", "spare"]),
        f"{MODEL}.fallbacks[1]",
        "repeats",
    ),
    "a fallback of another kind": (
        _spare_of_kind("image", "image/png"),
        f"{MODEL}.fallbacks[0]",
        "'spare' makes image, not video",
    ),
    "too many fallbacks": (
        _set("fallbacks", ["a", "b", "c", "d", "e"]),
        f"{MODEL}.fallbacks",
        "at most 4",
    ),
    "an unknown tool kind": (lambda d: d["tools"][0].update(kind="3d"), "tools[0].kind", "'image'"),
    "no tools": (lambda d: d.update(tools=[]), "tools", "at least 1 item"),
}


@pytest.mark.parametrize(("change", "where", "reason"), BAD_CATALOGUES.values(), ids=BAD_CATALOGUES)
def test_a_bad_catalogue_is_refused_in_one_line_naming_file_key_and_reason(
    change: Callable[[dict[str, Any]], None], where: str, reason: str
) -> None:
    with pytest.raises(CatalogueError) as refused:
        parsed(sample_with(change))

    line = str(refused.value)
    assert "\n" not in line
    assert line.startswith(f"invalid catalogue {SOURCE}: {where}: "), line
    assert reason in line


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("tools:\n  - id: a\n   label: b\n", "line 3, column 4"),
        ("tools: []\ntools: []\n", "duplicate key 'tools'"),
        ("- just\n- a list\n", "valid dictionary"),
        ("", "valid dictionary"),
    ],
    ids=["broken YAML", "a key twice", "not a mapping", "an empty file"],
)
def test_a_file_that_is_no_catalogue_is_refused_in_one_line(text: str, reason: str) -> None:
    with pytest.raises(CatalogueError) as refused:
        parse_catalogue(text, SOURCE, ADAPTER_NAMES)

    line = str(refused.value)
    assert "\n" not in line
    assert line.startswith(f"invalid catalogue {SOURCE}: ")
    assert reason in line
