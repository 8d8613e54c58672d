"""The public API's request and response bodies, so /openapi.json says exactly what is sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from atelier_edge.domain.json_shape import check_json_shape

GenerationStatus = Literal["queued", "running", "succeeded", "failed", "canceled"]
CreditsState = Literal["none", "frozen", "confirmed", "rolled_back", "charge_waived"]
MediaStatus = Literal["unknown", "external", "stored", "expired", "transfer_failed", "deleted"]


class Balance(BaseModel):
    available: int
    frozen: int


class FreeCredits(BaseModel):
    amount: int = Field(description="credits the plan gives each UTC day")
    granted_now: bool = Field(description="true when this request granted them")
    date: str
    expires_at: datetime | None


class Me(BaseModel):
    account_id: str
    plan: str
    credits: Balance
    free_credits_today: FreeCredits


class LedgerLine(BaseModel):
    version: int
    kind: str
    entry_id: str
    amount: int
    available_after: int
    frozen_after: int
    reference: str
    occurred_at: datetime | None


class LedgerPage(BaseModel):
    lines: list[LedgerLine]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class ModelOutputs(BaseModel):
    kind: str
    content_type: str
    count: int
    count_field: str


class ToolModel(BaseModel):
    id: str
    name: str
    provider: str
    description: str
    cost: int = Field(description="credits with every default of the input schema")
    cost_rule: str
    max_duration_s: int
    outputs: ModelOutputs
    input_schema: dict[str, Any]


class Tool(BaseModel):
    id: str
    name: str
    kind: str
    description: str
    models: list[ToolModel]


class ToolList(BaseModel):
    tools: list[Tool]


class GenerationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tool: str = Field(min_length=1, max_length=200)
    model: str = Field(min_length=1, max_length=200)
    prompt: str = Field(default="", max_length=10_000)
    params: dict[str, Any] | None = None
    inputs: list[str] | None = Field(default=None, max_length=16, description="media ids")

    @field_validator("tool", "model", "prompt")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        check_json_shape(value)
        return value

    @field_validator("params", "inputs")
    @classmethod
    def _bounded_shape(cls, value: Any) -> Any:
        check_json_shape(value)
        return value


class GenerationOutput(BaseModel):
    media_id: str
    content_type: str
    url: str
    expires_at: datetime | None


class GenerationError(BaseModel):
    code: str
    message: str
    fault: str


class Generation(BaseModel):
    id: str
    status: GenerationStatus
    progress: int = Field(ge=0, le=100)
    tool: str
    model: str
    cost: int
    credits: CreditsState
    outputs: list[GenerationOutput]
    error: GenerationError | None
    queue_position: int
    cancel_requested: bool
    created_at: datetime | None
    updated_at: datetime | None


class GenerationPage(BaseModel):
    generations: list[Generation]
    next_cursor: str | None


class Media(BaseModel):
    id: str
    status: MediaStatus
    content_type: str
    bytes: int
    stored_by: Literal["client", "server"] | None
    url: str
    generation_id: str
    created_at: datetime | None
    stored_at: datetime | None


class Upload(BaseModel):
    url: str
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_at: datetime | None


class InputUploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="image/png, image/jpeg, image/webp, audio/mpeg, audio/wav, audio/x-wav or audio/mp4",
    )
    bytes: int = Field(
        ge=1, le=2**53, description="the file's exact size (at most 20 MiB by default)"
    )


class InputUpload(BaseModel):
    id: str
    upload: Upload
    url: str = Field(description="where a generation reads the file: put it in the params")
    url_expires_at: datetime | None


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")


class ApiKey(BaseModel):
    id: str
    name: str
    hint: str = Field(description="the key's first characters, to tell keys apart")
    created_at: datetime
    last_used_at: datetime | None


class NewApiKey(ApiKey):
    key: str = Field(description="the secret: shown this once, only its hash is kept")


class ApiKeyList(BaseModel):
    keys: list[ApiKey]
