"""A faithful fake of the Gemini API: image `generateContent` and Veo's long-running operation.

The key comes as `x-goog-api-key` or `?key=` (a wrong one: 400 INVALID_ARGUMENT "API key not
valid", none: 403 PERMISSION_DENIED). Requests take camelCase or snake_case part fields; answers
are camelCase, errors in Google's RPC shape. A Veo operation reports `done: false` for
`video_s` seconds, then its samples; a video is downloaded from `/v1beta/files/<id>:download`
with the key only, until `url_ttl_s` passes. Input images (`inlineData` parts, a Veo instance's
`image`) must be base64 of the type they declare — a PNG, JPEG or WebP that is something else is
refused with 400 "Unable to process input image" — and are kept in `images` as received.

Failures are asked for by markers in the prompt (see `common_inline.Markers`):
`[fake:image-safety]` 200 with finishReason IMAGE_SAFETY · `[fake:blocked]` 200 with
promptFeedback.blockReason · `[fake:text-only]` 200 with no image · `[fake:429]` 429
RESOURCE_EXHAUSTED with a RetryInfo delay · `[fake:500]` / `[fake:503]` · `[fake:hang]` ·
`[fake:garbage]` a 200 that is not JSON · for Veo, `[fake:video-error]` an operation that ends
in an error and `[fake:filtered]` one whose samples were all filtered.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from atelier_testing.provider_fakes.common_inline import (
    ExpiringFiles,
    Markers,
    hang,
    json_object,
    same_secret,
)
from atelier_testing.provider_fakes.common_inline_media import image_bytes, mp4_bytes

URL_TTL_S = 2 * 24 * 3600.0
_ASPECTS = {"1:1": (64, 64), "16:9": (112, 63), "9:16": (63, 112), "4:3": (64, 48), "3:4": (48, 64),
            "3:2": (72, 48), "2:3": (48, 72), "4:5": (48, 60), "5:4": (60, 48), "21:9": (126, 54)}  # fmt: skip
_VEO_PARAMETERS = frozenset(
    {"aspectRatio", "durationSeconds", "resolution", "negativePrompt", "personGeneration",
     "sampleCount", "enhancePrompt", "numberOfVideos"}
)  # fmt: skip
_SIGNATURES = {
    "image/png": lambda data: data.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda data: data.startswith(b"\xff\xd8\xff"),
    "image/webp": lambda data: data[:4] == b"RIFF" and data[8:12] == b"WEBP",
}
_STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}  # fmt: skip


class GoogleError(Exception):
    def __init__(self, code: int, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []

    def response(self) -> JSONResponse:
        error = {"code": self.code, "message": self.message, "status": _STATUS_NAMES[self.code]}
        if self.details:
            error["details"] = self.details
        return JSONResponse({"error": error}, self.code)


@dataclass
class _Operation:
    name: str
    prompt: str
    created: float
    samples: int
    kinds: set[str]
    video_ids: list[str] = field(default_factory=list)


@dataclass
class GeminiFake:
    """The fake's configuration and what it has seen; `app` is the Starlette application."""

    api_key: str = "fake-gemini-key"
    video_s: float = 0.0
    url_ttl_s: float = URL_TTL_S
    retry_delay_s: int = 2
    hang_s: float = 30.0
    # Every request that reached a model: (method, model, prompt).
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    # Every input image of an accepted request: (method, mime type, bytes).
    images: list[tuple[str, str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.files = ExpiringFiles(self.url_ttl_s)
        self.markers = Markers()
        self.operations: dict[str, _Operation] = {}
        self._lock = threading.Lock()
        self.base_url = ""
        self.app = Starlette(
            routes=[
                Route("/v1beta/models/{model}/operations/{operation}", self._operation),
                Route("/v1beta/models/{call}", self._model_call, methods=["POST"]),
                Route("/v1beta/files/{call}", self._download),
            ]
        )

    def calls_with(self, prompt_part: str) -> int:
        with self._lock:
            return sum(prompt_part in prompt for _, _, prompt in self.calls)

    async def _model_call(self, request: Request) -> Response:
        model, _, method = request.path_params["call"].partition(":")
        try:
            self._authorise(request)
            body = await json_object(request)
            if body is None:
                raise GoogleError(400, "Invalid JSON payload received.")
            if method == "generateContent":
                return await self._generate_content(model, body)
            if method == "predictLongRunning":
                return await self._predict_long_running(model, body)
            raise GoogleError(404, f"Method {method!r} not found.")
        except GoogleError as error:
            return error.response()

    def _authorise(self, request: Request) -> None:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key:
            raise GoogleError(
                403, "Method doesn't allow unregistered callers. Please use an API Key."
            )
        if not same_secret(key, self.api_key):
            raise GoogleError(400, "API key not valid. Please pass a valid API key.")

    def _record(self, method: str, model: str, prompt: str) -> set[str]:
        with self._lock:
            self.calls.append((method, model, prompt))
        return self.markers.active(prompt)

    async def _inject(self, kinds: set[str]) -> None:
        if "hang" in kinds:
            await hang(self.hang_s)
        if "429" in kinds:
            raise GoogleError(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                [
                    {"@type": "type.googleapis.com/google.rpc.Help", "links": [
                        {"description": "Learn more about Gemini API quotas",
                         "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo",
                     "retryDelay": f"{self.retry_delay_s}s"},
                ],
            )  # fmt: skip
        for code in (500, 503):
            if str(code) in kinds:
                raise GoogleError(code, "The service is currently unavailable.")

    async def _generate_content(self, model: str, body: dict[str, Any]) -> Response:
        if "image" not in model:
            raise GoogleError(404, f"models/{model} is not found for API version v1beta.")
        texts, images = _parts(body.get("contents"))
        prompt = " ".join(texts)
        kinds = self._record("generateContent", model, prompt)
        with self._lock:
            self.images.extend(("generateContent", mime, data) for mime, data in images)
        await self._inject(kinds)
        config = _field(body, "generationConfig", "generation_config") or {}
        image_config = _field(config, "imageConfig", "image_config") or {}
        aspect = _field(image_config, "aspectRatio", "aspect_ratio") or "1:1"
        if aspect not in _ASPECTS:
            raise GoogleError(400, f"Unsupported aspect ratio: {aspect}")
        usage = {"promptTokenCount": max(1, len(prompt) // 4)}
        if "garbage" in kinds:
            return Response(b'{"candidates": [{"content', media_type="application/json")
        if "blocked" in kinds:
            usage["totalTokenCount"] = usage["promptTokenCount"]
            return JSONResponse(
                {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": usage}
            )
        if "image-safety" in kinds:
            usage["totalTokenCount"] = usage["promptTokenCount"]
            return JSONResponse(
                {"candidates": [{"finishReason": "IMAGE_SAFETY", "index": 0}],
                 "usageMetadata": usage, "modelVersion": model}
            )  # fmt: skip
        parts: list[dict[str, Any]] = [{"text": "Here is your picture."}]
        if "text-only" not in kinds:
            picture = image_bytes(*_ASPECTS[aspect])
            parts.append(
                {
                    "inlineData": {
                        "mimeType": "image/png",
                        "data": base64.b64encode(picture).decode(),
                    }
                }
            )
        usage |= {"candidatesTokenCount": 1290, "totalTokenCount": usage["promptTokenCount"] + 1290}
        return JSONResponse(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": parts},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": usage,
                "modelVersion": model,
                "responseId": secrets.token_urlsafe(16),
            }
        )

    async def _predict_long_running(self, model: str, body: dict[str, Any]) -> Response:
        if not model.startswith("veo-"):
            raise GoogleError(404, f"models/{model} is not found for API version v1beta.")
        instances = body.get("instances")
        if (
            not isinstance(instances, list)
            or len(instances) != 1
            or not isinstance(instances[0], dict)
        ):
            raise GoogleError(400, "instances: exactly one instance is required.")
        prompt = instances[0].get("prompt")
        if not isinstance(prompt, str) or not prompt:
            raise GoogleError(400, "instances[0].prompt: a prompt is required.")
        image = instances[0].get("image")
        first_frame = None if image is None else _check_image(image)
        parameters = body.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise GoogleError(400, "parameters: must be an object.")
        unknown = set(parameters) - _VEO_PARAMETERS
        if unknown:
            raise GoogleError(
                400,
                f"Invalid JSON payload received. Unknown name \"{sorted(unknown)[0]}\" at 'parameters'.",
            )
        _check_veo_parameters(parameters)
        kinds = self._record("predictLongRunning", model, prompt)
        if first_frame is not None:
            with self._lock:
                self.images.append(("predictLongRunning", *first_frame))
        await self._inject(kinds)
        name = f"models/{model}/operations/{secrets.token_hex(8)}"
        samples = int(parameters.get("sampleCount", 1))
        with self._lock:
            self.operations[name] = _Operation(name, prompt, time.monotonic(), samples, kinds)
        return JSONResponse({"name": name})

    async def _operation(self, request: Request) -> Response:
        try:
            self._authorise(request)
            name = f"models/{request.path_params['model']}/operations/{request.path_params['operation']}"
            with self._lock:
                operation = self.operations.get(name)
            if operation is None:
                raise GoogleError(404, f"Operation {name} not found.")
            return JSONResponse(self._operation_state(operation))
        except GoogleError as error:
            return error.response()

    def _operation_state(self, operation: _Operation) -> dict[str, Any]:
        if time.monotonic() - operation.created < self.video_s:
            return {"name": operation.name, "done": False, "metadata": {}}
        done: dict[str, Any] = {"name": operation.name, "done": True}
        if "video-error" in operation.kinds:
            return done | {"error": {"code": 13, "message": "Video generation failed."}}
        response: dict[str, Any] = {"raiMediaFilteredCount": 0, "generatedSamples": []}
        if "filtered" in operation.kinds:
            response |= {"raiMediaFilteredCount": operation.samples,
                         "raiMediaFilteredReasons": ["The prompt could not be submitted."]}  # fmt: skip
        else:
            with self._lock:
                if not operation.video_ids:
                    operation.video_ids = [self._store_video() for _ in range(operation.samples)]
            response["generatedSamples"] = [
                {"video": {"uri": f"{self.base_url}/v1beta/files/{vid}:download?alt=media"}}
                for vid in operation.video_ids
            ]
        return done | {
            "response": {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse",
                "generateVideoResponse": response,
            }
        }

    def _store_video(self) -> str:
        token, _ = self.files.put(mp4_bytes(), "video/mp4")
        return token

    async def _download(self, request: Request) -> Response:
        file_id, _, method = request.path_params["call"].partition(":")
        try:
            self._authorise(request)
        except GoogleError as error:
            return error.response()
        if method != "download" or request.query_params.get("alt") != "media":
            return GoogleError(400, "Only ?alt=media downloads are supported.").response()
        return self.files.response(file_id)


def _field(container: object, camel: str, snake: str) -> Any:
    if not isinstance(container, dict):
        return None
    return container.get(camel, container.get(snake))


def _parts(contents: object) -> tuple[list[str], list[tuple[str, bytes]]]:
    if not isinstance(contents, list) or not contents:
        raise GoogleError(400, "contents is not specified")
    texts: list[str] = []
    images: list[tuple[str, bytes]] = []
    for content in contents:
        parts = content.get("parts") if isinstance(content, dict) else None
        if not isinstance(parts, list) or not parts:
            raise GoogleError(400, "contents.parts must not be empty.")
        for part in parts:
            inline = _field(part, "inlineData", "inline_data")
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(inline, dict):
                images.append(_check_image({"bytesBase64Encoded": inline.get("data"),
                              "mimeType": _field(inline, "mimeType", "mime_type")}))  # fmt: skip
            else:
                raise GoogleError(400, "contents.parts: each part needs text or inlineData.")
    return texts, images


def _check_image(image: object) -> tuple[str, bytes]:
    data = _field(image, "bytesBase64Encoded", "bytes_base64_encoded")
    mime = _field(image, "mimeType", "mime_type")
    if not isinstance(data, str) or not isinstance(mime, str) or not mime.startswith("image/"):
        raise GoogleError(400, "image: bytesBase64Encoded and an image mimeType are required.")
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise GoogleError(400, "image: bytesBase64Encoded is not base64.") from None
    signature = _SIGNATURES.get(mime)
    if signature is not None and not signature(decoded):
        raise GoogleError(
            400,
            "Unable to process input image. Please retry or report in "
            "https://developers.generativeai.google/guide/troubleshooting",
        )
    return mime, decoded


def _check_veo_parameters(parameters: dict[str, Any]) -> None:
    rules: dict[str, Any] = {
        "aspectRatio": lambda v: v in ("16:9", "9:16"),
        "durationSeconds": lambda v: isinstance(v, int) and 4 <= v <= 8,
        "resolution": lambda v: v in ("720p", "1080p"),
        "sampleCount": lambda v: isinstance(v, int) and 1 <= v <= 4,
        "personGeneration": lambda v: v in ("allow_all", "allow_adult", "dont_allow"),
        "negativePrompt": lambda v: isinstance(v, str),
        "enhancePrompt": lambda v: isinstance(v, bool),
    }
    for name, valid in rules.items():
        if name in parameters and not valid(parameters[name]):
            raise GoogleError(400, f"parameters.{name}: unsupported value {parameters[name]!r}.")
