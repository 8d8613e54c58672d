"""Replicate's wire shapes: the create call for a catalogue model, and a prediction read back as
our normalised JobStatus. No I/O here; `inline` publishes data-URL outputs when one arrives."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from atelier_generation.providers.errors import ProviderTimeout, ProviderUnavailable
from atelier_generation.providers.job import JobState, JobStatus, ProviderOutput
from atelier_generation.providers.replicate.refusals import NAME, failure

_VERSION_ID = re.compile(r"^[0-9a-f]{64}$")
_OWNER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PREDICTION_ID = re.compile(r"^[A-Za-z0-9]{1,100}$")
# The Python client's own pattern for tqdm lines in the logs.
_TQDM = re.compile(r"^\s*(?P<percentage>\d+)%\s*\|.+?\|\s*(?P<current>\d+)\/(?P<total>\d+)", re.M)
# Replicate deletes an API prediction's files an hour after it ends.
RETENTION = timedelta(hours=1)
# Replicate refuses a Cancel-After under five seconds.
SHORTEST_CANCEL_AFTER_S = 5
_STATES = {
    "starting": JobState.QUEUED,
    "processing": JobState.RUNNING,
    "succeeded": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "canceled": JobState.CANCELED,
}
# Progress while processing and no tqdm line has shown yet, and its ceiling before success.
_STARTED, _ALMOST = 5, 99
_EXTENSIONS = {
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
    "gif": "image/gif", "mp4": "video/mp4", "webm": "video/webm", "mov": "video/quicktime",
    "wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "ogg": "audio/ogg",
    "m4a": "audio/mp4",
}  # fmt: skip
PublishInline = Callable[[str], ProviderOutput]


@dataclass(frozen=True)
class CreateCall:
    """The create request for one job: path under the API root, body, extra headers."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]


def create_call(
    provider_model: str, params: Mapping[str, Any], *, max_duration_s: int, webhook: str | None
) -> CreateCall:
    """`owner/name` runs an official model, `owner/name:<version>` or a bare version id runs a
    version, `deployments/owner/name` a deployment; the deadline travels as Cancel-After."""
    body: dict[str, Any] = {"input": dict(params)}
    if provider_model.startswith("deployments/"):
        path = f"/{provider_model}/predictions"
    elif _VERSION_ID.match(provider_model.rpartition(":")[2]):
        path, body["version"] = "/predictions", provider_model.rpartition(":")[2]
    elif _OWNER_NAME.match(provider_model):
        path = f"/models/{provider_model}/predictions"
    else:
        raise ProviderUnavailable(
            f"{provider_model!r} is not owner/name, owner/name:version or deployments/owner/name",
            provider=NAME,
        )
    if webhook is not None:
        body["webhook"] = webhook
        body["webhook_events_filter"] = ["start", "logs", "completed"]
    cancel_after = max(max_duration_s, SHORTEST_CANCEL_AFTER_S)
    return CreateCall(path, body, {"Cancel-After": f"{cancel_after}s"})


def prediction_id(prediction: Mapping[str, Any]) -> str:
    found = prediction.get("id")
    if not isinstance(found, str) or not _PREDICTION_ID.match(found):
        raise ProviderUnavailable("a prediction without a readable id", provider=NAME)
    return found


def job_status(prediction: Mapping[str, Any], inline: PublishInline) -> JobStatus:
    """The prediction as our JobStatus; ProviderUnavailable when it cannot be read."""
    status = prediction.get("status")
    if status == "aborted":
        # Our Cancel-After deadline passed before it even started.
        late = ProviderTimeout("the deadline passed before the prediction started", provider=NAME)
        return JobStatus(JobState.FAILED, error=late, detail="aborted")
    state = _STATES.get(status) if isinstance(status, str) else None
    if state is None:
        raise ProviderUnavailable(f"a prediction with status {_shown(status)}", provider=NAME)
    if state is JobState.FAILED:
        error = failure(prediction.get("error"))
        return JobStatus(state, _progress(prediction), error=error, detail=error.message)
    if state is not JobState.SUCCEEDED:
        return JobStatus(state, 0 if state is JobState.QUEUED else _progress(prediction))
    outputs = tuple(_outputs(prediction, inline))
    if not outputs:
        removed = prediction.get("data_removed") is True
        why = "its outputs were already removed" if removed else "it returned no output file"
        gone = ProviderUnavailable(f"the prediction succeeded but {why}", provider=NAME)
        return JobStatus(JobState.FAILED, 100, error=gone, detail=why)
    return JobStatus(state, 100, outputs)


def _progress(prediction: Mapping[str, Any]) -> int:
    logs = prediction.get("logs")
    found = _TQDM.findall(logs[-65536:]) if isinstance(logs, str) else []
    if not found:
        return _STARTED
    return max(_STARTED, min(int(found[-1][0]), _ALMOST))


def _outputs(prediction: Mapping[str, Any], inline: PublishInline) -> Iterator[ProviderOutput]:
    expires_at = _ended_at(prediction) + RETENTION
    for url in _urls(prediction.get("output"), depth=0):
        if url.startswith("data:"):
            yield inline(url)
        else:
            yield ProviderOutput(url, _content_type(url), expires_at)


def _urls(value: object, depth: int) -> Iterator[str]:
    # Output is whatever JSON the model returns: file URLs anywhere in it are its outputs.
    if depth > 8:
        return
    if isinstance(value, str):
        if value.startswith(("https://", "http://", "data:")):
            yield value
    elif isinstance(value, list):
        for item in value[:64]:
            yield from _urls(item, depth + 1)
    elif isinstance(value, dict):
        for item in list(value.values())[:64]:
            yield from _urls(item, depth + 1)


def _content_type(url: str) -> str:
    try:
        path = httpx.URL(url).path
    except (httpx.InvalidURL, ValueError):
        return "application/octet-stream"
    extension = path.rpartition(".")[2].lower() if "." in path.rpartition("/")[2] else ""
    return _EXTENSIONS.get(extension, "application/octet-stream")


def _ended_at(prediction: Mapping[str, Any]) -> datetime:
    for key in ("completed_at", "created_at"):
        value = prediction.get(key)
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _shown(value: object) -> str:
    return repr(value)[:60]
