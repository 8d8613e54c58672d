"""The catalogue as protobuf messages, for ListTools."""

from __future__ import annotations

import json

from atelier.generation.v1 import generation_pb2
from atelier_generation.application.catalogue_queries import CatalogueQueries
from atelier_generation.domain.catalogue import Model, Tool


def tool_message(tool: Tool, queries: CatalogueQueries) -> generation_pb2.Tool:
    return generation_pb2.Tool(
        id=tool.id,
        name=tool.label,
        kind=tool.kind,
        description=tool.description,
        models=[_model_message(model, queries) for model in tool.models],
    )


def _model_message(model: Model, queries: CatalogueQueries) -> generation_pb2.Model:
    priced = queries.priced(model)
    return generation_pb2.Model(
        id=model.id,
        name=model.label,
        description=model.description,
        provider=model.provider,
        provider_model=model.provider_model,
        cost=priced.default_cost,
        cost_rule=priced.rule,
        input_schema_json=json.dumps(model.input_schema, sort_keys=True),
        outputs=generation_pb2.ModelOutputs(
            kind=model.outputs.kind,
            content_type=model.outputs.content_type,
            count=model.outputs.count,
            count_field=model.outputs.count_field or "",
        ),
        max_duration_s=model.max_duration_s,
    )
