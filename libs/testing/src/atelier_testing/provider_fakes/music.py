"""A faithful fake of a Suno-style music task API (the sunoapi.org / kie.ai family).

`POST /api/v1/generate` (Bearer key) answers `{"code": 200, "data": {"taskId"}}`; errors are
signalled in the body's `code` with HTTP 200 (or mirrored in the HTTP status when
`http_status_mirrors_code`). `GET /api/v1/generate/record-info?taskId=` answers in camelCase and
moves PENDING → TEXT_SUCCESS → FIRST_SUCCESS → SUCCESS, one stage every `stage_s` seconds, always
with two clips: the stream URL first, the download URL later. Callbacks go to `callBackUrl` in
snake_case (`text`, `first`, `complete`, or `error`), signed as kie.ai signs them
(`X-Webhook-Timestamp`, `X-Webhook-Signature` = base64 HMAC-SHA256 of "<taskId>.<timestamp>"),
and are retried on anything but a 2xx. Files answer 404 after `retention_s` (real: 15 days).

`POST /api/v1/generate/upload-cover` takes the same body plus `uploadUrl`, the song to cover,
which the provider reads itself: the fake fetches it (at most `max_upload_bytes`, which must be
audio) and keeps what it read in `uploads`; a URL it cannot read is refused with code 400
(how the real API reports that, at submit or as a failed task, is not documented).

Failures are asked for by markers in the prompt, style or title (see `common_inline.Markers`):
`[fake:credits]` code 429 (insufficient credits) · `[fake:430]` call frequency too high ·
`[fake:405]` rate limit · `[fake:455]` maintenance · `[fake:500]` server error ·
`[fake:http-503]` an HTTP 503 · `[fake:hang]` · `[fake:sensitive]` SENSITIVE_WORD_ERROR ·
`[fake:audio-failed]` GENERATE_AUDIO_FAILED · `[fake:complete-only]` only the last callback ·
`[fake:bad-signature]` callbacks signed with the wrong key.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
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
from atelier_testing.provider_fakes.common_inline_media import image_bytes, wav_bytes

RETENTION_S = 15 * 24 * 3600.0
MODELS = frozenset({"V3_5", "V4", "V4_5", "V4_5PLUS", "V5"})
STAGES = ("PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS")
_CALLBACK_OF = {"TEXT_SUCCESS": "text", "FIRST_SUCCESS": "first", "SUCCESS": "complete"}
_MESSAGES = {
    400: "Invalid parameters", 401: "Unauthorized", 404: "Not found", 405: "Rate limit exceeded",
    413: "Prompt too long", 429: "Insufficient credits", 430: "Call frequency too high",
    455: "System maintenance", 500: "Server error",
}  # fmt: skip
_MARKED_CODES = {"credits": 429, "430": 430, "405": 405, "455": 455, "500": 500}


class CodedError(Exception):
    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message or _MESSAGES.get(code, "Error")


@dataclass
class _Clip:
    id: str
    audio: str
    stream: str
    image: str


@dataclass
class _Task:
    id: str
    param: dict[str, Any]
    created: float
    kinds: set[str]
    clips: list[_Clip]


@dataclass
class MusicFake:
    """The fake's configuration and what it has seen; `app` is the Starlette application."""

    api_key: str = "fake-music-key"
    webhook_hmac_key: str = "fake-music-webhook-key"
    stage_s: float = 0.0
    retention_s: float = RETENTION_S
    http_status_mirrors_code: bool = False
    hang_s: float = 30.0
    callback_retries_s: tuple[float, ...] = (0.05, 0.2, 0.5)
    # Every accepted or refused submit (prompt), and every callback attempt (type, HTTP status).
    submits: list[str] = field(default_factory=list)
    callbacks: list[tuple[str, int]] = field(default_factory=list)
    max_upload_bytes: int = 20 * 1024 * 1024
    # Every cover's song as read from its uploadUrl: (task id, URL, bytes).
    uploads: list[tuple[str, str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.files = ExpiringFiles(self.retention_s)
        self.markers = Markers()
        self.tasks: dict[str, _Task] = {}
        self._lock = threading.Lock()
        self._senders: set[asyncio.Task[None]] = set()
        self.base_url = ""
        self.app = Starlette(
            routes=[
                Route("/api/v1/generate", self._generate, methods=["POST"]),
                Route("/api/v1/generate/upload-cover", self._cover, methods=["POST"]),
                Route("/api/v1/generate/record-info", self._record_info, methods=["GET"]),
                Route("/files/{name}", self._file, methods=["GET", "HEAD"]),
            ]
        )

    def signature(self, task_id: str, timestamp: str, key: str | None = None) -> str:
        digest = hmac.new(
            (key or self.webhook_hmac_key).encode(),
            f"{task_id}.{timestamp}".encode(),
            hashlib.sha256,
        ).digest()
        return base64.b64encode(digest).decode()

    def _answer(self, code: int, message: str, data: Any = None) -> JSONResponse:
        status = code if self.http_status_mirrors_code and code != 200 else 200
        return JSONResponse({"code": code, "msg": message, "data": data}, status)

    async def _cover(self, request: Request) -> Response:
        return await self._generate(request, cover=True)

    async def _generate(self, request: Request, *, cover: bool = False) -> Response:
        try:
            self._authorise(request)
            body = await json_object(request)
            if body is None:
                raise CodedError(400, "The body is not a JSON object")
            text = " ".join(str(body.get(k, "")) for k in ("prompt", "style", "title"))
            with self._lock:
                self.submits.append(text)
            kinds = self.markers.active(text)
            if "hang" in kinds:
                await hang(self.hang_s)
            if "http-503" in kinds:
                return Response("Service Unavailable", 503)
            for kind, code in _MARKED_CODES.items():
                if kind in kinds:
                    raise CodedError(code)
            _check(body)
            song = await self._read_upload(body.get("uploadUrl")) if cover else None
            task = self._new_task(body, kinds)
            if song is not None:
                with self._lock:
                    self.uploads.append((task.id, str(body["uploadUrl"]), song))
            self._start_callbacks(task)
            return self._answer(200, "success", {"taskId": task.id})
        except CodedError as error:
            return self._answer(error.code, error.message)

    async def _read_upload(self, url: object) -> bytes:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise CodedError(400, "uploadUrl is required")
        try:
            async with (
                httpx.AsyncClient(trust_env=False, timeout=10.0) as client,
                client.stream("GET", url) as answer,
            ):
                if answer.status_code != 200:
                    raise CodedError(
                        400, f"File fetch failed: uploadUrl answered {answer.status_code}"
                    )
                data = bytearray()
                async for chunk in answer.aiter_bytes():
                    data += chunk
                    if len(data) > self.max_upload_bytes:
                        raise CodedError(413, "The uploaded file is too large")
        except httpx.HTTPError:
            raise CodedError(400, "File fetch failed: uploadUrl could not be read") from None
        if not _is_audio(bytes(data)):
            raise CodedError(400, "The uploaded file is not audio")
        return bytes(data)

    def _authorise(self, request: Request) -> None:
        if not same_secret(bearer_token(request), self.api_key):
            raise CodedError(401)

    def _new_task(self, body: dict[str, Any], kinds: set[str]) -> _Task:
        clips = []
        for number in range(2):
            audio, _ = self.files.put(wav_bytes(1.0, 330.0 + 110 * number), "audio/wav")
            stream, _ = self.files.put(wav_bytes(0.5, 330.0 + 110 * number), "audio/wav")
            cover, _ = self.files.put(image_bytes(32, 32, "jpeg", number), "image/jpeg")
            clips.append(_Clip(secrets.token_hex(8), audio, stream, cover))
        task = _Task(secrets.token_hex(16), body, time.monotonic(), kinds, clips)
        with self._lock:
            self.tasks[task.id] = task
        return task

    def _stage(self, task: _Task) -> str:
        if self.stage_s <= 0:
            stage = 3
        else:
            stage = min(3, int((time.monotonic() - task.created) / self.stage_s))
        if stage == 3 and "sensitive" in task.kinds:
            return "SENSITIVE_WORD_ERROR"
        if stage == 3 and "audio-failed" in task.kinds:
            return "GENERATE_AUDIO_FAILED"
        return STAGES[stage]

    async def _record_info(self, request: Request) -> Response:
        try:
            self._authorise(request)
        except CodedError as error:
            return self._answer(error.code, error.message)
        with self._lock:
            task = self.tasks.get(request.query_params.get("taskId", ""))
        if task is None:
            return self._answer(404, "Task not found")
        status = self._stage(task)
        failed = status not in STAGES
        return self._answer(200, "success", {
            "taskId": task.id, "parentMusicId": "", "param": json.dumps(task.param),
            "response": {"taskId": task.id, "sunoData": self._clips(task, status, camel=True)},
            "status": status, "type": "GENERATE",
            "errorCode": 400 if failed else None,
            "errorMessage": "Generation failed" if failed else None,
        })  # fmt: skip

    def _clips(self, task: _Task, status: str, *, camel: bool) -> list[dict[str, Any]]:
        if status in ("PENDING", "SENSITIVE_WORD_ERROR", "GENERATE_AUDIO_FAILED"):
            return []
        ready = {"TEXT_SUCCESS": 0, "FIRST_SUCCESS": 1, "SUCCESS": 2}[status]
        clips = []
        for number, clip in enumerate(task.clips):
            audio = f"{self.base_url}/files/{clip.audio}.wav" if number < ready else ""
            fields = {
                "id": clip.id, "audio_url": audio, "source_audio_url": audio,
                "stream_audio_url": f"{self.base_url}/files/{clip.stream}",
                "image_url": f"{self.base_url}/files/{clip.image}.jpeg",
                "prompt": str(task.param.get("prompt", "")), "model_name": "chirp-v4",
                "title": str(task.param.get("title", "Untitled")),
                "tags": str(task.param.get("style", "")), "createTime": "2025-01-01 00:00:00",
                "duration": 1.0 if audio else None,
            }  # fmt: skip
            clips.append({_camel(k) if camel else k: v for k, v in fields.items()})
        return clips

    async def _file(self, request: Request) -> Response:
        return self.files.response(request.path_params["name"])

    def _start_callbacks(self, task: _Task) -> None:
        url = task.param.get("callBackUrl")
        if not isinstance(url, str):
            return
        sender = asyncio.create_task(self._send_callbacks(task, url))
        self._senders.add(sender)
        sender.add_done_callback(self._senders.discard)

    async def _send_callbacks(self, task: _Task, url: str) -> None:
        async with httpx.AsyncClient(trust_env=False, timeout=15.0) as client:
            for number, stage in enumerate(STAGES[1:], start=1):
                await asyncio.sleep(
                    max(0.0, task.created + number * self.stage_s - time.monotonic())
                )
                status = self._stage(task)
                if status not in STAGES:
                    await self._deliver(client, url, task, self._error_body(task))
                    return
                if "complete-only" in task.kinds and stage != "SUCCESS":
                    continue
                body = {"code": 200, "msg": "success", "data": {
                    "callbackType": _CALLBACK_OF[stage], "task_id": task.id,
                    "data": self._clips(task, stage, camel=False)}}  # fmt: skip
                await self._deliver(client, url, task, body)

    def _error_body(self, task: _Task) -> dict[str, Any]:
        return {"code": 400, "msg": "Generation failed: the prompt was flagged",
                "data": {"callbackType": "error", "task_id": task.id, "data": []}}  # fmt: skip

    async def _deliver(
        self, client: httpx.AsyncClient, url: str, task: _Task, body: dict[str, Any]
    ) -> None:
        payload = json.dumps(body).encode()
        kind = str(body["data"]["callbackType"])
        for delay in (0.0, *self.callback_retries_s):
            await asyncio.sleep(delay)
            timestamp = str(int(time.time()))
            key = "wrong-key" if "bad-signature" in task.kinds else None
            headers = {
                "content-type": "application/json",
                "x-webhook-timestamp": timestamp,
                "x-webhook-signature": self.signature(task.id, timestamp, key),
            }
            try:
                answer = await client.post(url, content=payload, headers=headers)
                status = answer.status_code
            except httpx.HTTPError:
                status = 0
            with self._lock:
                self.callbacks.append((kind, status))
            if 200 <= status < 300:
                return


def _check(body: dict[str, Any]) -> None:
    custom = body.get("customMode")
    if not isinstance(custom, bool) or not isinstance(body.get("instrumental", False), bool):
        raise CodedError(400, "customMode and instrumental must be booleans")
    model = body.get("model", "V3_5")
    if model not in MODELS:
        raise CodedError(400, f"model must be one of {sorted(MODELS)}")
    if not isinstance(body.get("callBackUrl"), str) or not body["callBackUrl"].startswith("http"):
        raise CodedError(400, "callBackUrl is required")
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str):
        raise CodedError(400, "prompt must be a string")
    if custom:
        for name, limit in (("style", 1000), ("title", 80)):
            value = body.get(name)
            if not isinstance(value, str) or not value:
                raise CodedError(400, f"{name} is required in custom mode")
            if len(value) > limit:
                raise CodedError(413, f"{name} is longer than {limit} characters")
        if not body.get("instrumental") and not prompt:
            raise CodedError(400, "prompt (the lyrics) is required unless instrumental")
        if len(prompt) > 5000:
            raise CodedError(413, "prompt is longer than 5000 characters")
    else:
        if not prompt:
            raise CodedError(400, "prompt is required")
        if len(prompt) > 500:
            raise CodedError(413, "prompt is longer than 500 characters")


def _is_audio(data: bytes) -> bool:
    wav = data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    mp3 = data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    return wav or mp3 or data[4:8] == b"ftyp"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
