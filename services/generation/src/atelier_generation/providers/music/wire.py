"""Suno-style task wire shapes (sunoapi.org / kie.ai): our params → a generate request; a task
record or a callback → our normalised status; a body `code` → a typed error."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from atelier_generation.providers.errors import (
    ContentPolicy,
    InvalidInput,
    ProviderAuthFailed,
    ProviderError,
    ProviderQuotaExceeded,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from atelier_generation.providers.inline_http import clipped
from atelier_generation.providers.job import JobState, JobStatus, ProviderOutput

PROVIDER = "music"
TASK_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
# The provider keeps files 15 days; media copies them long before.
RETENTION_S = 15 * 24 * 3600
_STAGES = {
    "PENDING": JobStatus(JobState.QUEUED, 5),
    "TEXT_SUCCESS": JobStatus(JobState.RUNNING, 40),
    "FIRST_SUCCESS": JobStatus(JobState.RUNNING, 70),
}
_CALLBACK_STAGES = {"text": "TEXT_SUCCESS", "first": "FIRST_SUCCESS", "complete": "SUCCESS"}
_FAILED = frozenset({"CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED", "CALLBACK_EXCEPTION"})
_AUDIO_TYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".m4a": "audio/mp4"}


def generate_request(
    provider_model: str, params: Mapping[str, Any], callback_url: str
) -> dict[str, Any]:
    """Custom mode when the params give a style, lyrics or a title; inspiration mode otherwise."""
    custom = any(params.get(name) for name in ("style", "lyrics", "title"))
    body: dict[str, Any] = {"model": provider_model, "customMode": custom,
                            "callBackUrl": callback_url}  # fmt: skip
    if custom:
        lyrics = params.get("lyrics") or ""
        body |= {
            "prompt": lyrics or params.get("prompt", ""),
            "style": params.get("style") or params.get("prompt", ""),
            "title": params.get("title") or "Untitled",
            "instrumental": bool(params.get("instrumental", not lyrics)),
        }
    else:
        body |= {
            "prompt": params.get("prompt", ""),
            "instrumental": bool(params.get("instrumental", False)),
        }
    if params.get("negative_tags"):
        body["negativeTags"] = params["negative_tags"]
    return body


def cover_request(
    provider_model: str, params: Mapping[str, Any], callback_url: str
) -> dict[str, Any]:
    """A cover of the song at `audio_url`: the provider reads it from there itself."""
    return generate_request(provider_model, params, callback_url) | {
        "uploadUrl": params["audio_url"]
    }


def body_error(code: object, message: object) -> ProviderError:
    """A body `code` other than 200 (the HTTP status may well be 200)."""
    text = f"code {clipped(code)}: {clipped(message or '')}"
    if code in (400, 413):
        return InvalidInput(text, provider=PROVIDER)
    if code == 401:
        return ProviderAuthFailed(text, provider=PROVIDER)
    if code == 429:  # in this API's body, 429 is "insufficient credits", not a rate limit
        return ProviderQuotaExceeded(text, provider=PROVIDER)
    if code in (405, 430):
        return RateLimited(text, provider=PROVIDER)
    return ProviderUnavailable(text, provider=PROVIDER)


def task_id_of(payload: Any) -> str:
    data = payload.get("data") if isinstance(payload, dict) else None
    task_id = data.get("taskId") if isinstance(data, dict) else None
    if not isinstance(task_id, str) or not TASK_ID.match(task_id):
        raise _odd("no usable taskId")
    return task_id


def record_status(data: Any, now: float | None = None) -> JobStatus:
    """A record-info `data` (camelCase) as our status."""
    if not isinstance(data, dict):
        raise _odd("a task record that is not an object")
    status = data.get("status")
    response = data.get("response")
    clips = response.get("sunoData") if isinstance(response, dict) else None
    return _status(status, clips, "audioUrl", data.get("errorMessage"), now)


def callback_status(payload: Any, now: float | None = None) -> tuple[str, JobStatus]:
    """A callback body (snake_case) as (task id, status)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("task_id"), str):
        raise ValueError("no data.task_id")
    kind = data.get("callbackType")
    if kind == "error" or payload.get("code") != 200:
        error = _callback_error(payload.get("code"), payload.get("msg"))
        return data["task_id"], JobStatus(JobState.FAILED, error=error)
    if kind not in _CALLBACK_STAGES:
        raise ValueError(f"unknown callbackType {clipped(kind)}")
    return data["task_id"], _status(
        _CALLBACK_STAGES[kind], data.get("data"), "audio_url", None, now
    )


def _status(
    status: object, clips: object, audio_key: str, message: object, now: float | None
) -> JobStatus:
    if status == "SUCCESS":
        return JobStatus(JobState.SUCCEEDED, 100, _outputs(clips, audio_key, now))
    if status == "SENSITIVE_WORD_ERROR":
        return JobStatus(
            JobState.FAILED,
            error=ContentPolicy(f"refused: {clipped(message or status)}", provider=PROVIDER),
        )
    if status in _FAILED:
        return JobStatus(
            JobState.FAILED,
            error=ProviderUnavailable(f"{status}: {clipped(message or '')}", provider=PROVIDER),
        )
    # A stage this adapter does not know yet is taken as work in progress; the deadline bounds it.
    return _STAGES.get(
        str(status), JobStatus(JobState.RUNNING, 40, detail=f"status {clipped(status)}")
    )


def _outputs(clips: object, audio_key: str, now: float | None) -> tuple[ProviderOutput, ...]:
    if not isinstance(clips, list) or not clips:
        raise _odd("a finished task without clips")
    expires = datetime.fromtimestamp((time.time() if now is None else now) + RETENTION_S, UTC)
    outputs = []
    for clip in clips:
        url = clip.get(audio_key) if isinstance(clip, dict) else None
        if (
            not isinstance(url, str)
            or not url.startswith(("https://", "http://"))
            or len(url) > 8192
        ):
            raise _odd("a finished clip without an audio URL")
        suffix = "." + url.split("?")[0].rsplit(".", 1)[-1].lower() if "." in url else ""
        outputs.append(ProviderOutput(url, _AUDIO_TYPES.get(suffix, "audio/mpeg"), expires))
    return tuple(outputs)


def _callback_error(code: object, message: object) -> ProviderError:
    text = f"code {clipped(code)}: {clipped(message or '')}"
    if code in (400, 413):
        return InvalidInput(text, provider=PROVIDER)
    if code == 408:
        return ProviderTimeout(text, provider=PROVIDER)
    return ProviderUnavailable(text, provider=PROVIDER)


def _odd(what: str) -> ProviderUnavailable:
    return ProviderUnavailable(f"unexpected answer: {what}", provider=PROVIDER)
