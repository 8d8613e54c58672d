"""A faithful fake of fal.ai's queue API over real HTTP (queue host routes at its root).

Requests step IN_QUEUE (queue_position counting down) → IN_PROGRESS (`logs[]` growing as
"step i/4") → COMPLETED (`metrics.inference_time`); results are the model's JSON with files on
the fake's own /files/ host, expiring after the request's lifecycle preference or `file_ttl_s`.
`?fal_webhook=` requests get one POST at the end, signed with an Ed25519 key made at start-up
(public key at /.well-known/jwks.json), retried on any non-2xx.

Failures by marker in a text input: `[fake:rate-limit]` 429, `[fake:server-error]` 503 with
`error_type`, `[fake:quota]` 403 exhausted balance, `[fake:hang]` submit never answers — all at
submit; `[fake:invalid]` 422 `detail[]`, `[fake:nsfw]` 422 content policy, `[fake:fail]` 500
runner error — as the request's result; `[fake:stuck]` never completes. Tests also use the
attributes `faults`, `pace`, `files`, `webhook_tamper` ("signature" or "stale").
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from atelier_testing.provider_fakes.common_replicate_fal import (
    ExpiringFiles,
    FakeHttpServer,
    Pace,
    RequestFaults,
    WebhookSender,
    hang_forever,
    media_bytes,
    rfc3339,
)

_MARKER = re.compile(r"\[fake:([a-z-]+)\]")
_NAMESPACES = ("workflows", "comfy")
STEPS = 4
USER_ID = "fake-user-1"


def _markers(value: object) -> set[str]:
    if isinstance(value, str):
        return set(_MARKER.findall(value))
    found: set[str] = set()
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    for item in items:
        found |= _markers(item)
    return found


def app_of(path: str) -> str:
    """`{owner}/{alias}` (with its namespace, if any) of a submit path."""
    parts = path.strip("/").split("/")
    keep = 3 if parts[0] in _NAMESPACES else 2
    return "/".join(parts[:keep])


def infra_error(status: int, error_type: str, detail: str) -> Response:
    return JSONResponse(
        {"detail": detail, "error_type": error_type},
        status,
        headers={"X-Fal-Error-Type": error_type},
    )


@dataclass
class FalRequest:
    id: str
    app: str
    endpoint: str
    arguments: dict[str, Any]
    webhook: str | None
    file_ttl_s: float | None
    markers: set[str]
    status: str = "IN_QUEUE"
    logs: list[dict[str, str]] = field(default_factory=list)
    result: tuple[int, dict[str, Any]] | None = None
    started_at: float | None = None
    completed_at: float | None = None
    task: asyncio.Task[None] | None = None


class FakeFal:
    """The fake; `async with FakeFal() as fake:` serves it, `fake.url` is its queue host."""

    def __init__(
        self,
        *,
        key: str = "fake-key-id:fake-key-secret",
        step_s: float = 0.0,
        file_ttl_s: float = 3600.0,
        outputs: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.key = key
        self.pace = Pace(step_s)
        self.files = ExpiringFiles(ttl_s=file_ttl_s)
        # Content type of each app's outputs; PNG images for an app not listed.
        self.outputs = dict(outputs or {})
        self.faults = RequestFaults()
        self.webhooks = WebhookSender(retry_delays_s=(0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2))
        self.webhook_tamper: str | None = None
        self.signing_key = Ed25519PrivateKey.generate()
        self.key_id = uuid.uuid4().hex
        self.requests: dict[str, FalRequest] = {}
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self._server = FakeHttpServer(self._app(), host, port)
        self.url = self._server.url
        self.jwks_url = f"{self.url}/.well-known/jwks.json"
        self.files.base_url = self.url

    async def __aenter__(self) -> FakeFal:
        await self._server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for request in self.requests.values():
            if request.task is not None:
                request.task.cancel()
        await self.webhooks.close()
        await self._server.close()

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/jwks.json", self._jwks, methods=["GET"]),
                self.files.route(),
                Route("/{path:path}", self._queue, methods=["GET", "POST", "PUT"]),
            ]
        )

    async def _jwks(self, request: Request) -> Response:
        public = self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(public).rstrip(b"=").decode()
        return JSONResponse(
            {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.key_id}]}
        )

    async def _queue(self, request: Request) -> Response:
        self.calls.append((request.method, request.url.path, dict(request.headers)))
        if (refused := await self._refusal(request)) is not None:
            return refused
        path = request.path_params["path"]
        app, marker, rest = path.partition("/requests/")
        if not marker:
            if request.method != "POST":
                return JSONResponse({"detail": "Not Found"}, 404)
            return await self._submit(request, path)
        request_id, _, action = rest.partition("/")
        known = self.requests.get(request_id)
        if known is None or known.app != app:
            return JSONResponse({"detail": f"Request {request_id} not found"}, 404)
        if request.method == "GET" and action == "status":
            return self._status(known, request.query_params.get("logs", "0"))
        if request.method == "GET" and action == "":
            return self._result(known)
        if request.method == "PUT" and action == "cancel":
            return self._cancel(known)
        return JSONResponse({"detail": "Not Found"}, 404)

    async def _refusal(self, request: Request) -> Response | None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "Key" or not hmac.compare_digest(key.encode(), self.key.encode()):
            return JSONResponse({"detail": "No user found for Key ID and Secret"}, 401)
        fault = self.faults.take()
        if fault == "rate":
            seconds = str(self.faults.retry_after_s)
            return JSONResponse(
                {"detail": "Rate limit exceeded"}, 429, headers={"Retry-After": seconds}
            )
        if fault == "error":
            return infra_error(
                self.faults.server_error_status, "internal_error", "Internal server error"
            )
        if fault == "hang":
            await hang_forever()
        return None

    # --- submit -------------------------------------------------------------------------------

    async def _submit(self, request: Request, endpoint: str) -> Response:
        try:
            arguments = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"detail": "Invalid JSON body"}, 400)
        if not isinstance(arguments, dict):
            return JSONResponse({"detail": "The body must be a JSON object"}, 422)
        markers = _markers(arguments)
        if "rate-limit" in markers:
            return JSONResponse(
                {"detail": "Rate limit exceeded"}, 429, headers={"Retry-After": "1"}
            )
        if "server-error" in markers:
            return infra_error(503, "runner_scheduling_failure", "No runner could be scheduled")
        if "quota" in markers:
            return JSONResponse({"detail": "User is locked. Reason: Exhausted balance."}, 403)
        if "hang" in markers:
            await hang_forever()
        queued = FalRequest(
            id=str(uuid.uuid4()),
            app=app_of(endpoint),
            endpoint=endpoint,
            arguments=arguments,
            webhook=request.query_params.get("fal_webhook"),
            file_ttl_s=_lifetime(request.headers.get("x-fal-object-lifecycle-preference")),
            markers=markers,
        )
        self.requests[queued.id] = queued
        queued.task = asyncio.create_task(self._run(queued))
        body: dict[str, Any] = {**self._urls(queued), "gateway_request_id": queued.id}
        body |= {"status": "IN_QUEUE", "queue_position": self._position(queued)}
        return JSONResponse(body)

    def _urls(self, r: FalRequest) -> dict[str, str]:
        root = f"{self.url}/{r.app}/requests/{r.id}"
        return {
            "request_id": r.id,
            "response_url": root,
            "status_url": f"{root}/status",
            "cancel_url": f"{root}/cancel",
        }

    def _position(self, r: FalRequest) -> int:
        # Requests are kept in arrival order: those still queued before this one are ahead.
        ahead = 0
        for other in self.requests.values():
            if other.id == r.id:
                return ahead
            ahead += other.status == "IN_QUEUE"
        return ahead

    # --- a request's life ---------------------------------------------------------------------

    async def _run(self, r: FalRequest) -> None:
        await self.pace.step()
        r.status, r.started_at = "IN_PROGRESS", time.time()
        for step in range(1, STEPS + 1):
            await self.pace.step()
            r.logs.append(
                {"message": f"step {step}/{STEPS}", "level": "INFO", "source": "USER",
                 "timestamp": rfc3339(time.time())}
            )  # fmt: skip
        if "stuck" in r.markers:
            await hang_forever()
        r.result = await asyncio.to_thread(self._outcome, r)
        r.status, r.completed_at = "COMPLETED", time.time()
        self._notify(r)

    def _outcome(self, r: FalRequest) -> tuple[int, dict[str, Any]]:
        if "invalid" in r.markers:
            detail = [
                {"loc": ["body", "prompt"], "msg": "field required", "type": "value_error.missing"}
            ]
            return 422, {"detail": detail}
        if "nsfw" in r.markers:
            detail = [{"loc": ["body", "prompt"], "msg": "The content could not be processed because it contained material flagged by a content checker.", "type": "content_policy_violation"}]  # fmt: skip
            return 422, {"detail": detail}
        if "fail" in r.markers:
            return 500, {"detail": "Runner failed", "error_type": "runner_server_error"}
        content_type = self.outputs.get(r.app, "image/png")
        count = r.arguments.get("num_images", 1)
        count = count if isinstance(count, int) and 1 <= count <= 8 else 1
        files = []
        for i in range(count):
            data, ext = media_bytes(content_type, f"{r.id}:{i}")
            name = f"{uuid.uuid4().hex[:12]}.{ext}"
            url = self.files.add(data, content_type, name, r.file_ttl_s)
            files.append(
                {
                    "url": url,
                    "content_type": content_type,
                    "file_name": name,
                    "file_size": len(data),
                }
            )
        if content_type.startswith("video/"):
            return 200, {"video": files[0], "seed": 42}
        if content_type.startswith("audio/"):
            return 200, {"audio": files[0]}
        images = [{**f, "width": 64, "height": 64} for f in files]
        return 200, {"images": images, "timings": {"inference": 0.1}, "seed": 42,
                     "has_nsfw_concepts": [False] * count, "prompt": r.arguments.get("prompt", "")}  # fmt: skip

    def _status(self, r: FalRequest, logs: str) -> Response:
        body: dict[str, Any] = {"status": r.status, **self._urls(r)}
        with_logs = logs.lower() in ("1", "true")
        if r.status == "IN_QUEUE":
            body["queue_position"] = self._position(r)
        else:
            body["logs"] = list(r.logs) if with_logs else None
        if r.status == "COMPLETED" and r.started_at is not None and r.completed_at is not None:
            body["metrics"] = {"inference_time": round(r.completed_at - r.started_at, 6)}
            if r.result is not None and r.result[0] >= 400:
                body["error"] = f"Invalid status code: {r.result[0]}"
                body["error_type"] = r.result[1].get("error_type", "validation_error")
        return JSONResponse(body)

    def _result(self, r: FalRequest) -> Response:
        if r.status != "COMPLETED" or r.result is None:
            return JSONResponse({"detail": "Request is still in progress"}, 400)
        status, body = r.result
        headers = {"x-fal-request-id": r.id}
        if "error_type" in body:
            headers["X-Fal-Error-Type"] = body["error_type"]
        return JSONResponse(body, status, headers=headers)

    def _cancel(self, r: FalRequest) -> Response:
        if r.status == "COMPLETED":
            return JSONResponse({"status": "ALREADY_COMPLETED"}, 400)
        if r.task is not None:
            r.task.cancel()
        r.status, r.completed_at = "COMPLETED", time.time()
        r.result = (499, {"detail": "Request was cancelled", "error_type": "client_cancelled"})
        self._notify(r)
        return JSONResponse({"status": "CANCELLATION_REQUESTED"}, 202)

    # --- webhooks -----------------------------------------------------------------------------

    def _notify(self, r: FalRequest) -> None:
        if r.webhook is None or r.result is None:
            return
        status, payload = r.result
        body: dict[str, Any] = {"request_id": r.id, "gateway_request_id": r.id}
        if status < 400:
            body |= {"status": "OK", "payload": payload}
        else:
            body |= {
                "status": "ERROR",
                "error": f"Invalid status code: {status}",
                "payload": payload,
            }
        raw = json.dumps(body).encode()
        self.webhooks.send(r.webhook, raw, lambda data: self.signed_headers(r.id, data), retry=True)

    def signed_headers(self, request_id: str, body: bytes) -> dict[str, str]:
        timestamp = int(time.time()) - (600 if self.webhook_tamper == "stale" else 0)
        message = f"{request_id}\n{USER_ID}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"
        signature = self.signing_key.sign(message.encode())
        if self.webhook_tamper == "signature":
            signature = bytes(b ^ 1 for b in signature)
        return {
            "X-Fal-Webhook-Request-Id": request_id,
            "X-Fal-Webhook-User-Id": USER_ID,
            "X-Fal-Webhook-Timestamp": str(timestamp),
            "X-Fal-Webhook-Signature": signature.hex(),
        }


def _lifetime(header: str | None) -> float | None:
    if not header:
        return None
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        seconds = json.loads(header).get("expiration_duration_seconds")
        if isinstance(seconds, int | float) and seconds >= 0:
            return float(seconds)
    return None


@contextlib.asynccontextmanager
async def running(**options: Any) -> AsyncIterator[FakeFal]:
    async with FakeFal(**options) as fake:
        yield fake
