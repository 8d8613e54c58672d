"""Gemini wire shapes: image `generateContent` and Veo's long-running operation, both ways."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from atelier_generation.providers.errors import (
    ContentPolicy,
    InvalidInput,
    ProviderAuthFailed,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from atelier_generation.providers.inline_http import (
    MAX_RETRY_AFTER_S,
    classified,
    clipped,
    retry_after,
)
from atelier_generation.providers.inline_jobs import Produced

PROVIDER = "gemini"
# A Veo operation's name is also our job id, and goes into a URL path: nothing else passes.
OPERATION_NAME = re.compile(r"^models/[A-Za-z0-9._-]{1,100}/operations/[A-Za-z0-9_-]{1,100}$")
# Finish and block reasons that mean the prompt or the picture broke the content policy.
POLICY_REASONS = frozenset(
    {"SAFETY", "PROHIBITED_CONTENT", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "NO_IMAGE",
     "IMAGE_RECITATION", "IMAGE_OTHER", "BLOCKLIST", "OTHER", "RECITATION", "SPII"}
)  # fmt: skip
_IMAGE_CONFIG = {"aspect_ratio": "aspectRatio", "image_size": "imageSize"}
_VIDEO_PARAMETERS = {
    "aspect_ratio": "aspectRatio",
    "duration": "durationSeconds",
    "resolution": "resolution",
    "negative_prompt": "negativePrompt",
    "person_generation": "personGeneration",
    "num_outputs": "sampleCount",
    "enhance_prompt": "enhancePrompt",
}
# google.rpc.Code numbers an operation's error carries.
_RPC_INVALID_ARGUMENT, _RPC_DEADLINE = 3, 4
_RPC_AUTH = frozenset({7, 16})
_RPC_RESOURCE_EXHAUSTED = 8


def content_request(params: Mapping[str, Any]) -> dict[str, Any]:
    image_config = {wire: params[name] for name, wire in _IMAGE_CONFIG.items() if name in params}
    config: dict[str, Any] = {"responseModalities": ["TEXT", "IMAGE"]}
    if image_config:
        config["imageConfig"] = image_config
    parts = [{"text": str(params.get("prompt", ""))}]
    return {"contents": [{"role": "user", "parts": parts}], "generationConfig": config}


def read_content(payload: Any) -> Produced:
    """The image of a 200 answer; ContentPolicy when blocked, ProviderUnavailable when odd."""
    if not isinstance(payload, dict):
        raise _odd("the answer is not an object")
    detail = _usage(payload.get("usageMetadata"))
    feedback = payload.get("promptFeedback")
    blocked = feedback.get("blockReason") if isinstance(feedback, dict) else None
    if blocked:
        raise ContentPolicy(f"the prompt was blocked ({clipped(blocked)})", provider=PROVIDER)
    candidates = payload.get("candidates")
    if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
        raise _odd("no candidates")
    candidate = candidates[0]
    files = [_image(part) for part in _parts(candidate) if _inline(part) is not None]
    if files:
        return Produced(tuple(files), (), detail)
    reason = candidate.get("finishReason")
    if reason in POLICY_REASONS:
        raise ContentPolicy(f"no image: {reason}", provider=PROVIDER)
    raise _odd(f"no image in the answer (finishReason {clipped(reason)})")


def video_request(params: Mapping[str, Any]) -> dict[str, Any]:
    parameters = {wire: params[name] for name, wire in _VIDEO_PARAMETERS.items() if name in params}
    return {"instances": [{"prompt": str(params.get("prompt", ""))}], "parameters": parameters}


def operation_name(payload: Any) -> str:
    name = payload.get("name") if isinstance(payload, dict) else None
    if not isinstance(name, str) or not OPERATION_NAME.match(name):
        raise _odd("the operation has no usable name")
    return name


@dataclass(frozen=True)
class Operation:
    """A Veo operation at one poll: still running, or its video URIs, or why it failed."""

    done: bool
    video_uris: tuple[str, ...] = ()
    error: ProviderError | None = None


def read_operation(payload: Any) -> Operation:
    if not isinstance(payload, dict):
        raise _odd("the operation is not an object")
    if not payload.get("done"):
        return Operation(done=False)
    error = payload.get("error")
    if isinstance(error, dict):
        return Operation(True, error=_operation_error(error))
    response = payload.get("response")
    result = response.get("generateVideoResponse") if isinstance(response, dict) else None
    if not isinstance(result, dict):
        return Operation(True, error=_odd("a finished operation with neither response nor error"))
    samples = result.get("generatedSamples")
    uris = tuple(
        sample["video"]["uri"]
        for sample in (samples if isinstance(samples, list) else [])
        if isinstance(sample, dict)
        and isinstance(sample.get("video"), dict)
        and isinstance(sample["video"].get("uri"), str)
    )
    if uris:
        return Operation(True, uris)
    filtered = result.get("raiMediaFilteredCount")
    if isinstance(filtered, int) and filtered > 0:
        reasons = result.get("raiMediaFilteredReasons")
        why = clipped(reasons[0]) if isinstance(reasons, list) and reasons else "filtered"
        return Operation(
            True, error=ContentPolicy(f"the video was filtered: {why}", provider=PROVIDER)
        )
    return Operation(True, error=_odd("a finished operation without videos"))


def error_from(status: int, headers: Mapping[str, str], payload: Any) -> ProviderError:
    """Google's `{"error": {code, message, status, details}}` as one of our typed errors."""
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    message = clipped(error.get("message") or f"HTTP {status}")
    if "API key not valid" in message:
        return ProviderAuthFailed(message, provider=PROVIDER)
    if status == 429:
        delay = _retry_delay(error.get("details"))
        wait = delay if delay is not None else retry_after(headers)
        return RateLimited(f"429: {message}", provider=PROVIDER, retry_after=wait)
    return classified(status, message, headers, provider=PROVIDER)


def _operation_error(error: dict[str, Any]) -> ProviderError:
    code = error.get("code")
    message = clipped(error.get("message") or f"operation error {code}")
    if code == _RPC_INVALID_ARGUMENT:
        return InvalidInput(message, provider=PROVIDER)
    if code in _RPC_AUTH:
        return ProviderAuthFailed(message, provider=PROVIDER)
    if code == _RPC_DEADLINE:
        return ProviderTimeout(message, provider=PROVIDER)
    if code == _RPC_RESOURCE_EXHAUSTED:
        return RateLimited(message, provider=PROVIDER)
    return ProviderUnavailable(message, provider=PROVIDER)


def _retry_delay(details: object) -> float | None:
    """RetryInfo's `retryDelay` ("30s", "1.5s"), the delay Google asks for on a 429."""
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith(
            "google.rpc.RetryInfo"
        ):
            delay = str(detail.get("retryDelay", ""))
            try:
                seconds = float(delay.removesuffix("s"))
            except ValueError:
                return None
            return min(seconds, MAX_RETRY_AFTER_S) if seconds >= 0 else None
    return None


def _parts(candidate: dict[str, Any]) -> list[Any]:
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    return parts if isinstance(parts, list) else []


def _inline(part: object) -> Any:
    if not isinstance(part, dict):
        return None
    inline = part.get("inlineData", part.get("inline_data"))
    return inline if isinstance(inline, dict) else None


def _image(part: object) -> tuple[bytes, str]:
    inline = _inline(part)
    data = inline.get("data")
    mime = inline.get("mimeType", inline.get("mime_type"))
    if not isinstance(data, str) or not isinstance(mime, str) or not mime.startswith("image/"):
        raise _odd("an inline part that is not an image")
    try:
        return base64.b64decode(data, validate=True), mime
    except (binascii.Error, ValueError):
        raise _odd("an inline image that is not base64") from None


def _usage(usage: object) -> str:
    if not isinstance(usage, dict):
        return ""
    names = {"promptTokenCount": "prompt_tokens", "candidatesTokenCount": "output_tokens",
             "totalTokenCount": "total_tokens"}  # fmt: skip
    counts = [
        f"{ours}={usage[theirs]}"
        for theirs, ours in names.items()
        if isinstance(usage.get(theirs), int)
    ]
    return "usage: " + " ".join(counts) if counts else ""


def _odd(what: str) -> ProviderUnavailable:
    return ProviderUnavailable(f"unexpected answer: {what}", provider=PROVIDER)
