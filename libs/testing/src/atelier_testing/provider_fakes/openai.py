"""A faithful fake of the OpenAI Images API (generations and edits) over real HTTP.

What it checks and answers follows the real service: `Authorization: Bearer` (401 otherwise),
per-model parameter rules (400 with OpenAI's error object naming the `param`), `b64_json` plus
`usage` for GPT image models, `url` plus `revised_prompt` for dall-e-3, URLs served by the fake
itself that answer 404 after `url_ttl_s` (real: 60 minutes). Edits take `image` or repeated
`image[]` file parts (and a `mask`), each refused as the real API refuses them: a declared type
other than PNG, JPEG or WebP (400 naming the mimetype), bytes that are not that image (400
`invalid_image_file`), a file of 50 MB or more, and for dall-e-2 anything but one square PNG
under 4 MB. Every accepted file is kept in `uploads`, so a test can check what arrived.

Failures are asked for by markers in the prompt (see `common_inline.Markers`):
`[fake:moderation]` 400 moderation_blocked · `[fake:429]` 429 with retry-after headers ·
`[fake:quota]` 429 insufficient_quota · `[fake:500]` / `[fake:503]` server errors ·
`[fake:no-retry]` adds `x-should-retry: false` · `[fake:hang]` answers only after `hang_s` ·
`[fake:garbage]` a 200 whose body is not JSON · `[fake:empty]` a 200 with no images.
`[fake:KIND:N]` fails only the first N requests with that prompt.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from atelier_testing.provider_fakes.common_inline import (
    ExpiringFiles,
    Markers,
    bearer_token,
    hang,
    json_object,
    same_secret,
)
from atelier_testing.provider_fakes.common_inline_media import image_bytes

URL_TTL_S = 3600.0
# Edit inputs: GPT image models take files under 50 MB; dall-e-2 and masks under 4 MB.
MAX_FILE_BYTES = 50 * 2**20
SMALL_FILE_BYTES = 4 * 2**20
GPT_MODELS = frozenset({"gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "gpt-image-2"})
DALL_E = frozenset({"dall-e-2", "dall-e-3"})
_PROMPT_LIMIT = {"dall-e-2": 1000, "dall-e-3": 4000}
_SIZES = {
    "gpt": {"1024x1024", "1536x1024", "1024x1536", "auto"},
    "dall-e-3": {"1024x1024", "1792x1024", "1024x1792"},
    "dall-e-2": {"256x256", "512x512", "1024x1024"},
}
_QUALITY = {"gpt": {"low", "medium", "high", "auto"}, "dall-e-3": {"standard", "hd"}}
_GPT_ONLY = ("background", "output_format", "output_compression", "moderation", "input_fidelity")
_FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class FakeError(Exception):
    """An OpenAI error answer: status, error object fields and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {
            "message": message,
            "type": type_,
            "param": param,
            "code": code,
            **(extra or {}),
        }
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.body}, self.status, headers=self.headers)


@dataclass
class OpenAIFake:
    """The fake's configuration and what it has seen; `app` is the Starlette application."""

    api_key: str = "sk-fake-openai"
    url_ttl_s: float = URL_TTL_S
    latency_s: float = 0.0
    retry_after_s: float = 1.0
    hang_s: float = 30.0
    # Every accepted or refused image request, in order: (path, model, prompt).
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    # Every file part of an edit that passed the checks: (part name, filename, type, bytes).
    uploads: list[tuple[str, str, str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.files = ExpiringFiles(self.url_ttl_s)
        self.markers = Markers()
        self._lock = threading.Lock()
        self.base_url = ""
        self.app = Starlette(
            routes=[
                Route("/v1/images/generations", self._generations, methods=["POST"]),
                Route("/v1/images/edits", self._edits, methods=["POST"]),
                Route("/files/{token}", self._file, methods=["GET", "HEAD"]),
            ]
        )

    def calls_with(self, prompt_part: str) -> int:
        with self._lock:
            return sum(prompt_part in prompt for _, _, prompt in self.calls)

    async def _generations(self, request: Request) -> Response:
        try:
            self._authorise(request)
            body = await json_object(request)
            if body is None:
                raise FakeError(400, "We could not parse the JSON body of your request.")
            return await self._answer(request, "generations", body, images=0)
        except FakeError as error:
            return error.response()

    async def _edits(self, request: Request) -> Response:
        try:
            self._authorise(request)
            if not request.headers.get("content-type", "").startswith("multipart/form-data"):
                raise FakeError(400, "Edits take multipart/form-data.")
            form = await request.form()
            images = [v for k, v in form.multi_items() if k in ("image", "image[]")]
            if not images or not all(isinstance(image, UploadFile) for image in images):
                raise FakeError(400, "Missing required parameter: 'image'.", param="image")
            body: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
            body.setdefault("model", "gpt-image-1.5")
            for number in ("n", "output_compression"):
                if number in body:
                    body[number] = _integer(body[number], number)
            if "mask" in form and not isinstance(form["mask"], UploadFile):
                raise FakeError(400, "'mask' must be a file.", param="mask")
            files = [(k, v) for k, v in form.multi_items() if isinstance(v, UploadFile)]
            received = [await _upload(name, part, body["model"]) for name, part in files]
            with self._lock:
                self.uploads.extend(received)
            return await self._answer(request, "edits", body, images=len(images))
        except FakeError as error:
            return error.response()

    async def _file(self, request: Request) -> Response:
        return self.files.response(request.path_params["token"])

    def _authorise(self, request: Request) -> None:
        token = bearer_token(request)
        if token is None:
            raise FakeError(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        if not same_secret(token, self.api_key):
            raise FakeError(401, "Incorrect API key provided.", code="invalid_api_key")

    async def _answer(
        self, request: Request, path: str, body: dict[str, Any], *, images: int
    ) -> Response:
        model = body.get("model", "dall-e-2" if path == "generations" else "gpt-image-1.5")
        prompt = body.get("prompt")
        with self._lock:
            self.calls.append((path, str(model), str(prompt)))
        if not isinstance(prompt, str) or not prompt:
            raise FakeError(400, "Missing required parameter: 'prompt'.", param="prompt")
        kinds = self.markers.active(prompt)
        await self._inject(kinds, model)
        family = _check(body, model, prompt, images)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if "garbage" in kinds:
            return Response(b'{"created": 17138', media_type="application/json")
        if "empty" in kinds:
            return JSONResponse({"created": int(time.time()), "data": []})
        return JSONResponse(self._result(body, family, model, prompt))

    async def _inject(self, kinds: set[str], model: object) -> None:
        headers = {"x-should-retry": "false"} if "no-retry" in kinds else {}
        if "hang" in kinds:
            await hang(self.hang_s)
        if "moderation" in kinds:
            if model in GPT_MODELS:
                raise FakeError(
                    400,
                    "Your request was rejected by the safety system.",
                    type_="image_generation_user_error",
                    code="moderation_blocked",
                    extra={"moderation_details": {"moderation_stage": "input"}},
                )
            raise FakeError(
                400,
                "Your request was rejected as a result of our safety system.",
                code="content_policy_violation",
            )
        if "429" in kinds:
            headers |= {
                "retry-after": f"{self.retry_after_s:g}",
                "retry-after-ms": str(int(self.retry_after_s * 1000)),
            }
            raise FakeError(
                429, "Rate limit reached for images per minute.", type_="requests",
                code="rate_limit_exceeded", headers=headers,
            )  # fmt: skip
        if "quota" in kinds:
            raise FakeError(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                type_="insufficient_quota",
                code="insufficient_quota",
                headers=headers,
            )
        for status in ("500", "503"):
            if status in kinds:
                raise FakeError(
                    int(status), "The server had an error while processing your request.",
                    type_="server_error", headers=headers,
                )  # fmt: skip

    def _result(self, body: dict[str, Any], family: str, model: str, prompt: str) -> dict[str, Any]:
        count = body.get("n", 1)
        size = body.get("size", "1024x1024")
        width, height = (1024, 1024) if size == "auto" else map(int, size.split("x"))
        fmt = body.get("output_format", "png") if family == "gpt" else "png"
        pictures = [image_bytes(width // 16, height // 16, fmt, seed=i) for i in range(count)]
        created = int(time.time())
        if family == "gpt":
            return {
                "created": created,
                "data": [{"b64_json": base64.b64encode(p).decode()} for p in pictures],
                "background": "opaque"
                if body.get("background") != "transparent"
                else "transparent",
                "output_format": fmt,
                "quality": body.get("quality", "auto") if body.get("quality") != "auto" else "high",
                "size": f"{width}x{height}",
                "usage": _usage(prompt, count),
            }
        items: list[dict[str, Any]] = []
        for picture in pictures:
            if body.get("response_format", "url") == "url":
                token, _ = self.files.put(picture, _FORMATS[fmt])
                item: dict[str, Any] = {"url": f"{self.base_url}/files/{token}.png"}
            else:
                item = {"b64_json": base64.b64encode(picture).decode()}
            if model == "dall-e-3":
                item["revised_prompt"] = f"A detailed rendering of: {prompt}"
            items.append(item)
        return {"created": created, "data": items}


def _check(body: dict[str, Any], model: object, prompt: str, images: int) -> str:
    """The model family, once every per-model rule holds; a FakeError naming the param else."""
    if model in GPT_MODELS:
        family = "gpt"
    elif model in DALL_E:
        family = str(model)
    else:
        raise FakeError(
            404, f"The model `{model}` does not exist.", param="model", code="model_not_found"
        )
    if len(prompt) > _PROMPT_LIMIT.get(family, 32000):
        raise FakeError(
            400, "The prompt is too long.", param="prompt", code="string_above_max_length"
        )
    count = body.get("n", 1)
    top = 1 if family == "dall-e-3" else 10
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= top:
        raise FakeError(
            400, f"Invalid 'n': must be between 1 and {top}.", param="n", code="invalid_value"
        )
    _one_of(body, "size", _SIZES[family if family != "gpt" else "gpt"])
    if family == "dall-e-2" and "quality" in body:
        raise FakeError(
            400, "Unknown parameter: 'quality'.", param="quality", code="unknown_parameter"
        )
    if family != "dall-e-2":
        _one_of(body, "quality", _QUALITY[family])
    if "style" in body:
        if family != "dall-e-3":
            raise FakeError(
                400, "Unknown parameter: 'style'.", param="style", code="unknown_parameter"
            )
        _one_of(body, "style", {"vivid", "natural"})
    if family == "gpt":
        if "response_format" in body:
            raise FakeError(
                400,
                "Unknown parameter: 'response_format'.",
                param="response_format",
                code="unknown_parameter",
            )
        _one_of(body, "output_format", set(_FORMATS))
        _one_of(body, "background", {"transparent", "opaque", "auto"})
        _one_of(body, "moderation", {"low", "auto"})
    else:
        for name in _GPT_ONLY:
            if name in body:
                raise FakeError(
                    400, f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter"
                )
        _one_of(body, "response_format", {"url", "b64_json"})
    if images > (1 if family == "dall-e-2" else 16):
        raise FakeError(400, "Too many images.", param="image", code="invalid_value")
    return family


async def _upload(name: str, part: UploadFile, model: object) -> tuple[str, str, str, bytes]:
    """One file part as received, once it passes the real API's checks for `model`."""
    param = name.rstrip("[]")
    declared = part.content_type or "application/octet-stream"
    if declared not in _FORMATS.values():
        raise FakeError(
            400,
            f"Invalid file '{param}': unsupported mimetype ('{declared}'). Supported file "
            "formats are 'image/jpeg', 'image/png', and 'image/webp'.",
            param=param,
        )
    data = await part.read()
    if _sniffed(data) != declared:
        raise FakeError(
            400, f"Invalid image file or mode for image '{param}', please check your image file.",
            param=param, code="invalid_image_file",
        )  # fmt: skip
    small = model == "dall-e-2" or param == "mask"
    limit = SMALL_FILE_BYTES if small else MAX_FILE_BYTES
    if len(data) >= limit:
        raise FakeError(
            400, f"Invalid file '{param}': must be less than {limit // 2**20} MB.",
            param=param, code="invalid_image_file",
        )  # fmt: skip
    if model == "dall-e-2" and param == "image" and not _square_png(data):
        raise FakeError(
            400, "Invalid input image - format must be in ['RGBA', 'LA', 'L'] and square.",
            param="image", code="invalid_image_format",
        )  # fmt: skip
    return name, part.filename or "", declared, data


def _sniffed(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _square_png(data: bytes) -> bool:
    # The PNG header's IHDR holds width and height as the first two fields.
    return _sniffed(data) == "image/png" and data[16:20] == data[20:24]


def _one_of(body: dict[str, Any], name: str, allowed: set[str]) -> None:
    if name in body and body[name] not in allowed:
        raise FakeError(
            400,
            f"Invalid value: '{body[name]}'. Supported values are: {sorted(allowed)}.",
            param=name,
            code="invalid_value",
        )


def _integer(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise FakeError(400, f"Invalid '{name}': expected an integer.", param=name) from None


def _usage(prompt: str, count: int) -> dict[str, Any]:
    text_tokens = max(1, len(prompt) // 4)
    image_tokens = 4160 * count
    return {
        "input_tokens": text_tokens,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
        "output_tokens": image_tokens,
        "output_tokens_details": {"text_tokens": 0, "image_tokens": image_tokens},
        "total_tokens": text_tokens + image_tokens,
    }
