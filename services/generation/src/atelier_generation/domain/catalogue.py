"""The catalogue: the tools users pick, the provider models behind each, and what they cost.

The structure is checked here (pydantic, strict: no silent coercion of a mistyped value); the
rules that span fields — unique ids, known adapters, prices that follow from bounded inputs —
live in `catalogue_checks`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from atelier_generation.domain.errors import UnknownModel, UnknownTool

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=2000)]
ContentType = Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+-]{1,100}$")]
# Names of input fields that the price or the output count depend on.
FieldName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Rate = Annotated[float, Field(ge=0, le=1_000_000)]
Multiplier = Annotated[float, Field(gt=0, le=1_000)]

ToolKind = Literal["image", "video", "music"]
OutputKind = Literal["image", "video", "audio"]


class _Strict(BaseModel):
    # Strict: a price written as "5" (a string) is a mistake to report, not a value to guess.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Outputs(_Strict):
    """What one generation produces: `count` files, or as many as the input field `count_field` asks."""

    kind: OutputKind
    content_type: ContentType
    count: int = Field(default=1, ge=1, le=16)
    count_field: FieldName | None = None


class ResolutionPrices(_Strict):
    """Multiplies the rest of the price by the value of one input field (e.g. 720p costs 1.5x)."""

    field: FieldName
    multipliers: dict[str, Multiplier] = Field(min_length=1)


class CostRule(_Strict):
    """(flat + per_output x outputs + per_second x seconds) x resolution multiplier, rounded up."""

    flat: Rate = 0
    per_output: Rate = 0
    per_second: Rate = 0
    # The input field holding the duration in seconds, read when per_second is set.
    duration_field: FieldName = "duration"
    by_resolution: ResolutionPrices | None = None

    @model_validator(mode="after")
    def _says_something(self) -> CostRule:
        # `flat: 0` is a free model; an empty rule is more likely a forgotten price.
        if not {"flat", "per_output", "per_second"} & self.model_fields_set:
            raise ValueError("needs at least one of flat, per_output, per_second")
        return self


class Model(_Strict):
    """One provider model that implements a tool, with its input schema and price."""

    id: Slug
    label: Label
    description: Description = ""
    # The adapter that talks to the provider (local, replicate, fal, openai, gemini, music).
    provider: Slug
    # The provider's own name for the model, e.g. "black-forest-labs/flux-schnell".
    provider_model: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    # The provider deadline: a job still unfinished after this long is abandoned and not billed.
    max_duration_s: int = Field(ge=1, le=24 * 3600)
    outputs: Outputs
    cost: CostRule
    # JSON Schema (draft 2020-12) of the params, prompt included; validated on every submit.
    input_schema: dict[str, Any]
    # Models of the same tool to run on, in order, when this one's provider is cooling down,
    # not configured, or refuses the submit with its own fault. The user pays this model's price.
    fallbacks: tuple[Slug, ...] = Field(default=(), max_length=4, strict=False)

    def output_count(self, params: dict[str, Any]) -> int:
        """How many files a generation with these (validated, defaulted) params produces."""
        field = self.outputs.count_field
        chosen = params.get(field) if field is not None else None
        return (
            chosen
            if isinstance(chosen, int) and not isinstance(chosen, bool)
            else self.outputs.count
        )


class Tool(_Strict):
    """A kind of generation offered to users, e.g. text-to-image, and the models behind it."""

    id: Slug
    label: Label
    kind: ToolKind
    description: Description = ""
    # Lists in YAML; tuples here, so a loaded catalogue cannot change.
    models: tuple[Model, ...] = Field(min_length=1, strict=False)

    def model(self, model_id: str) -> Model:
        for model in self.models:
            if model.id == model_id:
                return model
        raise UnknownModel(self.id, model_id)


class Catalogue(_Strict):
    """Every tool on offer, in the order the UI shows them."""

    tools: tuple[Tool, ...] = Field(min_length=1, strict=False)
    # A place for YAML anchors that tools reuse (`&prompt` here, `*prompt` below); not read.
    shared: dict[str, Any] = Field(default_factory=dict)

    def tool(self, tool_id: str) -> Tool:
        for tool in self.tools:
            if tool.id == tool_id:
                return tool
        raise UnknownTool(tool_id)
