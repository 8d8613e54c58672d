"""fal's wire shapes: app paths, a status read back as our JobStatus, outputs found in a result.
No I/O here."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from atelier_generation.providers.errors import ProviderUnavailable
from atelier_generation.providers.fal.refusals import NAME
from atelier_generation.providers.job import JobState, JobStatus, ProviderOutput

# Apps that live under a namespace keep it in every URL.
_NAMESPACES = frozenset({"workflows", "comfy"})
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_STEP = re.compile(r"(\d+)\s*/\s*(\d+)")
_PERCENT = re.compile(r"(\d{1,3})\s*%")
_STARTED, _ALMOST = 5, 99


def endpoint_and_app(provider_model: str) -> tuple[str, str]:
    """(submit path, `{owner}/{alias}` used by status, result and cancel) of a fal model id."""
    parts = provider_model.strip("/").split("/")
    if not all(_SEGMENT.match(part) for part in parts) or len(parts) < 2:
        raise ProviderUnavailable(f"{provider_model!r} is not a fal app id", provider=NAME)
    keep = 3 if parts[0] in _NAMESPACES else 2
    if len(parts) < keep:
        raise ProviderUnavailable(f"{provider_model!r} is not a fal app id", provider=NAME)
    return "/".join(parts), "/".join(parts[:keep])


def is_request_id(value: object) -> bool:
    return isinstance(value, str) and bool(_REQUEST_ID.match(value))


def queue_state(status: Mapping[str, Any]) -> JobStatus | None:
    """The JobStatus of a request still queued or running; None once COMPLETED (the result
    decides how it ended); ProviderUnavailable for a status we cannot read."""
    name = status.get("status")
    if name == "IN_QUEUE":
        return JobStatus(JobState.QUEUED)
    if name == "IN_PROGRESS":
        return JobStatus(JobState.RUNNING, _progress(status.get("logs")))
    if name == "COMPLETED":
        return None
    raise ProviderUnavailable(f"a request with status {repr(name)[:60]}", provider=NAME)


def _progress(logs: object) -> int:
    # Models log their steps ("step 10/28", tqdm's "40%"): the last one found is the progress.
    if not isinstance(logs, list):
        return _STARTED
    for entry in reversed(logs[-200:]):
        message = entry.get("message") if isinstance(entry, dict) else None
        if not isinstance(message, str):
            continue
        percent = _PERCENT.search(message)
        if percent:
            return max(_STARTED, min(int(percent.group(1)), _ALMOST))
        step = _STEP.search(message)
        if step and int(step.group(2)) > 0:
            return max(_STARTED, min(100 * int(step.group(1)) // int(step.group(2)), _ALMOST))
    return _STARTED


def outputs(result: Any, expires_at: datetime) -> tuple[ProviderOutput, ...]:
    """Every file object (`url` + `content_type`) in a result, e.g. images[], video, audio."""
    return tuple(
        ProviderOutput(url, content_type, None if url.startswith("data:") else expires_at)
        for url, content_type in _files(result, depth=0)
    )


def _files(value: object, depth: int) -> Iterator[tuple[str, str]]:
    if depth > 8:
        return
    if isinstance(value, dict):
        url = value.get("url")
        if isinstance(url, str) and url.startswith(("https://", "http://", "data:")):
            content_type = value.get("content_type")
            shown = content_type if isinstance(content_type, str) and "/" in content_type else ""
            yield url, shown[:100] or "application/octet-stream"
            return
        for item in list(value.values())[:64]:
            yield from _files(item, depth + 1)
    elif isinstance(value, list):
        for item in value[:64]:
            yield from _files(item, depth + 1)
