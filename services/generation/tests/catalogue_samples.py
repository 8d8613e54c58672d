"""A small valid catalogue to break one key at a time, and the default catalogue's queries."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml

from atelier_generation.adapters.catalogue_file import load_catalogue, parse_catalogue
from atelier_generation.application.catalogue_queries import CatalogueQueries
from atelier_generation.domain.catalogue import Catalogue
from atelier_generation.providers.local.catalogue_fit import check_local_models
from atelier_generation.providers.provider import ADAPTER_NAMES

SOURCE = "test-catalog.yaml"


def video_model() -> dict[str, Any]:
    return {
        "id": "local",
        "label": "Local animation",
        "provider": "local",
        "provider_model": "video",
        "max_duration_s": 60,
        "outputs": {"kind": "video", "content_type": "video/mp4"},
        "cost": {
            "per_second": 2,
            "by_resolution": {"field": "resolution", "multipliers": {"480p": 1, "720p": 1.5}},
        },
        "input_schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["prompt"],
            "properties": {
                "prompt": {"type": "string", "minLength": 1, "maxLength": 100},
                "duration": {"type": "integer", "minimum": 2, "maximum": 10, "default": 5},
                "resolution": {"type": "string", "enum": ["480p", "720p"], "default": "480p"},
            },
        },
    }


def sample_document() -> dict[str, Any]:
    return {
        "tools": [
            {
                "id": "text-to-video",
                "label": "Text to video",
                "kind": "video",
                "models": [video_model()],
            }
        ]
    }


def parsed(document: Any) -> Catalogue:
    """The document through the same path a file takes: YAML text, then every check."""
    return parse_catalogue(
        yaml.safe_dump(document), SOURCE, ADAPTER_NAMES, checks=[check_local_models]
    )


def sample_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = copy.deepcopy(sample_document())
    change(document)
    return document


def first_model(document: dict[str, Any]) -> dict[str, Any]:
    model: dict[str, Any] = document["tools"][0]["models"][0]
    return model


def default_queries() -> CatalogueQueries:
    return CatalogueQueries(load_catalogue(None, ADAPTER_NAMES, checks=[check_local_models]))
