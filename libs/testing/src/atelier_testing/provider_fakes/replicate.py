"""A faithful fake of Replicate's predictions API over real HTTP (the routes under /v1).

Predictions step starting → processing (tqdm lines in `logs`) → succeeded, with real files at
expiring URLs on the fake's own /files/ host; webhooks are signed the Standard Webhooks way (v1)
and the terminal one is retried on any non-2xx; `Prefer: wait` and `Cancel-After` are honoured.

Failures are asked for in two ways:
- by a marker anywhere in a text input (works for a fake run standalone):
  `[fake:invalid]` 422 at create, `[fake:quota]` 402, `[fake:rate-limit]` 429 with Retry-After,
  `[fake:server-error]` 500, `[fake:hang]` the prediction starts but the create never answers
  (a job runs that the caller never hears of), `[fake:fail]` the prediction fails, `[fake:nsfw]`
  it fails on the safety checker, `[fake:stuck]` it never finishes;
- by the test, through attributes: `faults` (429 / 5xx / hang on the next requests), `pace`
  (step time, or manual steps), `files` (TTL, expired status, `expire_all()`),
  `webhook_tamper`, `rotate_secret()`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

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

TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
_PREFER = re.compile(r"^wait(=([1-9]|[1-9][0-9]|60))?$")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_VERSION_ID = re.compile(r"^[0-9a-f]{64}$")
_MARKER = re.compile(r"\[fake:([a-z-]+)\]")
NSFW_ERROR = "NSFW content detected. Try running it again, or try a different prompt."
MODEL_ERROR = "Prediction failed: the model raised an exception (RuntimeError)"
_THROTTLE_S = 0.5


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    body = {"type": "about:blank", "title": title, "detail": detail, "status": status}
    return JSONResponse(body, status, headers=headers, media_type="application/problem+json")


def _markers(value: object) -> set[str]:
    if isinstance(value, str):
        return set(_MARKER.findall(value))
    if isinstance(value, dict):
        return set().union(*(_markers(item) for item in value.values()), set())
    if isinstance(value, list):
        return set().union(*(_markers(item) for item in value), set())
    return set()


def parse_duration(text: str) -> float | None:
    """`Cancel-After`: 30s, 5m, 1h30m45s, or a bare number of seconds; None if malformed."""
    if text.isdigit():
        return float(text)
    matched = _DURATION.match(text)
    if not text or not matched:
        return None
    hours, minutes, seconds = (int(part or 0) for part in matched.groups())
    return hours * 3600.0 + minutes * 60.0 + seconds


@dataclass
class Prediction:
    id: str
    model: str
    version: str
    input: dict[str, Any]
    created_at: float
    webhook: str | None = None
    events: frozenset[str] = frozenset({"output", "completed"})
    status: str = "starting"
    logs: str = ""
    output: Any = None
    error: str | None = None
    started_at: float | None = None
    completed_at: float | None = None
    deadline: float | None = None
    markers: set[str] = field(default_factory=set)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    last_intermediate: float = 0.0


class FakeReplicate:
    """The fake; `async with FakeReplicate() as fake:` serves it, `fake.api_url` is its /v1 root."""

    def __init__(
        self,
        *,
        api_token: str = "r8_fake_token",
        step_s: float = 0.0,
        file_ttl_s: float = 3600.0,
        outputs: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api_token = api_token
        self.pace = Pace(step_s)
        self.files = ExpiringFiles(ttl_s=file_ttl_s)
        # Content type of each model's outputs; PNG for a model not listed.
        self.outputs = dict(outputs or {})
        self.faults = RequestFaults()
        self.webhooks = WebhookSender(retry_delays_s=(0.05, 0.1, 0.2, 0.4, 0.8, 1.6))
        self.webhook_tamper: str | None = None  # "signature", "stale" or "future"
        self.secrets = ["whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()]
        self.predictions: dict[str, Prediction] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers
        self._server = FakeHttpServer(self._app(), host, port)
        self.url = self._server.url
        self.api_url = f"{self.url}/v1"
        self.files.base_url = self.url

    @property
    def secret(self) -> str:
        """The webhook signing secret, as `GET /v1/webhooks/default/secret` gives it."""
        return self.secrets[-1]

    def rotate_secret(self) -> str:
        """A new secret; both are used to sign until `drop_old_secret()`."""
        self.secrets.append("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())
        return self.secret

    def drop_old_secret(self) -> None:
        del self.secrets[:-1]

    async def __aenter__(self) -> FakeReplicate:
        await self._server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for prediction in self.predictions.values():
            for task in prediction.tasks:
                task.cancel()
        await self.webhooks.close()
        await self._server.close()

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/predictions", self._create_by_version, methods=["POST"]),
                Route("/v1/predictions", self._list, methods=["GET"]),
                Route(
                    "/v1/models/{owner}/{name}/predictions", self._create_official, methods=["POST"]
                ),
                Route(
                    "/v1/deployments/{owner}/{name}/predictions",
                    self._create_deployment,
                    methods=["POST"],
                ),
                Route("/v1/predictions/{id}", self._get, methods=["GET"]),
                Route("/v1/predictions/{id}/cancel", self._cancel, methods=["POST"]),
                Route("/v1/webhooks/default/secret", self._secret, methods=["GET"]),
                self.files.route(),
            ]
        )

    # --- the gate every API request passes ---------------------------------------------------

    async def _refusal(self, request: Request) -> Response | None:
        self.requests.append((request.method, request.url.path, dict(request.headers)))
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme not in ("Bearer", "Token") or not token:
            return problem(401, "Unauthenticated", "You did not pass an authentication token")
        if not hmac.compare_digest(token.encode(), self.api_token.encode()):
            return problem(401, "Unauthenticated", "Invalid token.")
        fault = self.faults.take()
        if fault == "rate":
            return self._throttled(self.faults.retry_after_s)
        if fault == "error":
            status = self.faults.server_error_status
            return problem(status, "Internal server error", "Something went wrong on our side.")
        if fault == "hang":
            await hang_forever()
        return None

    @staticmethod
    def _throttled(seconds: int) -> Response:
        detail = (
            f"Request was throttled. Expected available in {seconds} second{'s' * (seconds != 1)}."
        )
        return JSONResponse({"detail": detail}, 429, headers={"Retry-After": str(seconds)})

    # --- create -------------------------------------------------------------------------------

    async def _create_by_version(self, request: Request) -> Response:
        return await self._create(request, route_model=None, needs_version=True)

    async def _create_official(self, request: Request) -> Response:
        model = f"{request.path_params['owner']}/{request.path_params['name']}"
        return await self._create(request, route_model=model, needs_version=False)

    async def _create_deployment(self, request: Request) -> Response:
        model = f"{request.path_params['owner']}/{request.path_params['name']}"
        return await self._create(request, route_model=model, needs_version=False)

    async def _create(
        self, request: Request, *, route_model: str | None, needs_version: bool
    ) -> Response:
        if (refused := await self._refusal(request)) is not None:
            return refused
        try:
            body = json.loads(await request.body())
        except ValueError:
            return problem(400, "Invalid JSON", "The request body is not valid JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return problem(422, "Input validation failed", "- input: input is required")
        if needs_version and not isinstance(body.get("version"), str):
            return problem(422, "Input validation failed", "- version: version is required")
        if not needs_version and "version" in body:
            return problem(
                422,
                "Input validation failed",
                "- (root): Additional property version is not allowed",
            )
        model, version = self._model_and_version(route_model, body.get("version"))
        if model is None:
            return problem(
                422,
                "Invalid version or not permitted",
                "The specified version does not exist (or perhaps you don't have permission to use it?)",
            )
        markers = _markers(body["input"])
        if (refused := self._refused_by_marker(markers)) is not None:
            return refused
        deadline: float | None = None
        if "cancel-after" in request.headers:
            seconds = parse_duration(request.headers["cancel-after"].strip())
            if seconds is None or seconds < 5:
                return problem(
                    422, "Invalid Cancel-After", "Cancel-After must be a duration of at least 5s"
                )
            deadline = time.time() + seconds
        prediction = self._start(body, model, version, markers, deadline)
        if "hang" in markers:
            await hang_forever()
        wait = _PREFER.match(request.headers.get("prefer", "").strip())
        if wait is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.shield(prediction.done.wait()), int(wait.group(2) or 60)
                )
        status = 201 if prediction.status in TERMINAL else 202
        get_url = self._json(prediction)["urls"]["get"]
        return JSONResponse(self._json(prediction), status, headers={"Location": get_url})

    def _model_and_version(self, route_model: str | None, version: Any) -> tuple[str | None, str]:
        if route_model is not None:
            return route_model, "hidden"
        text = str(version)
        name, _, version_id = text.rpartition(":")
        if _VERSION_ID.match(version_id):
            return name or "fake/model", version_id
        if "/" in text and ":" not in text:
            return text, "hidden"  # owner/name is accepted for official models
        return None, ""

    def _refused_by_marker(self, markers: set[str]) -> Response | None:
        if "invalid" in markers:
            return problem(
                422, "Input validation failed", "- input.prompt: the prompt is not allowed"
            )
        if "quota" in markers:
            return problem(
                402,
                "Insufficient credit",
                "You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit.",
            )
        if "rate-limit" in markers:
            return self._throttled(1)
        if "server-error" in markers:
            return problem(500, "Internal server error", "Something went wrong on our side.")
        return None

    def _start(
        self,
        body: dict[str, Any],
        model: str,
        version: str,
        markers: set[str],
        deadline: float | None,
    ) -> Prediction:
        events = body.get("webhook_events_filter")
        prediction = Prediction(
            id=secrets.token_hex(13)[:26],
            model=model,
            version=version,
            input=body["input"],
            created_at=time.time(),
            webhook=body.get("webhook") if isinstance(body.get("webhook"), str) else None,
            events=frozenset(events)
            if isinstance(events, list)
            else frozenset({"output", "completed"}),
            deadline=deadline,
            markers=markers,
        )
        self.predictions[prediction.id] = prediction
        prediction.tasks.append(asyncio.create_task(self._run(prediction)))
        if deadline is not None:
            prediction.tasks.append(asyncio.create_task(self._enforce_deadline(prediction)))
        return prediction

    # --- a prediction's life ------------------------------------------------------------------

    async def _run(self, p: Prediction) -> None:
        await self.pace.step()
        p.status, p.started_at = "processing", time.time()
        self._notify(p, "start")
        for done in range(1, 5):
            await self.pace.step()
            bar = "█" * (done * 5) + " " * (20 - done * 5)
            p.logs += f"{done * 25:3d}%|{bar}| {done}/4 [00:0{done}<00:00]\n"
            self._notify(p, "logs")
        if "stuck" in p.markers:
            await hang_forever()
        if "fail" in p.markers or "nsfw" in p.markers:
            p.error = NSFW_ERROR if "nsfw" in p.markers else MODEL_ERROR
            return self._finish(p, "failed")
        p.output = await asyncio.to_thread(self._outputs, p)
        self._notify(p, "output")
        self._finish(p, "succeeded")

    def _outputs(self, p: Prediction) -> Any:
        content_type = self.outputs.get(p.model, "image/png")
        count = p.input.get("num_outputs", 1)
        count = count if isinstance(count, int) and 1 <= count <= 16 else 1
        urls = []
        for i in range(count):
            data, ext = media_bytes(content_type, f"{p.id}:{p.input.get('prompt')}:{i}")
            urls.append(self.files.add(data, content_type, f"out-{i}.{ext}"))
        # Image models answer a list of URLs; video and audio models one URL.
        return urls if content_type.startswith("image/") else urls[0]

    async def _enforce_deadline(self, p: Prediction) -> None:
        assert p.deadline is not None
        await asyncio.sleep(max(0.0, p.deadline - time.time()))
        if p.status not in TERMINAL:
            self._stop(p, "aborted" if p.status == "starting" else "canceled")

    def _stop(self, p: Prediction, status: str) -> None:
        for task in p.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        self._finish(p, status)

    def _finish(self, p: Prediction, status: str) -> None:
        p.status, p.completed_at = status, time.time()
        p.done.set()
        self._notify(p, "completed")

    # --- reads and cancel ---------------------------------------------------------------------

    async def _get(self, request: Request) -> Response:
        if (refused := await self._refusal(request)) is not None:
            return refused
        prediction = self.predictions.get(request.path_params["id"])
        if prediction is None:
            return problem(404, "Not found", "The requested resource could not be found.")
        return JSONResponse(self._json(prediction))

    async def _list(self, request: Request) -> Response:
        if (refused := await self._refusal(request)) is not None:
            return refused
        newest = sorted(self.predictions.values(), key=lambda p: p.created_at, reverse=True)
        results = [self._json(p) for p in newest]
        return JSONResponse({"previous": None, "next": None, "results": results})

    async def _cancel(self, request: Request) -> Response:
        if (refused := await self._refusal(request)) is not None:
            return refused
        prediction = self.predictions.get(request.path_params["id"])
        if prediction is None:
            return problem(404, "Not found", "The requested resource could not be found.")
        if prediction.status not in TERMINAL:
            self._stop(prediction, "canceled")
        return JSONResponse(self._json(prediction))

    async def _secret(self, request: Request) -> Response:
        if (refused := await self._refusal(request)) is not None:
            return refused
        return JSONResponse({"key": self.secret})

    # --- the prediction object ----------------------------------------------------------------

    def _json(self, p: Prediction) -> dict[str, Any]:
        removed = p.completed_at is not None and p.completed_at + self.files.ttl_s <= time.time()
        get_url = f"{self.api_url}/predictions/{p.id}"
        body: dict[str, Any] = {
            "id": p.id,
            "model": p.model,
            "version": p.version,
            "input": {} if removed else p.input,
            "logs": "" if removed else p.logs,
            "output": None if removed else p.output,
            "data_removed": removed,
            "error": p.error,
            "status": p.status,
            "source": "api",
            "created_at": rfc3339(p.created_at),
            "urls": {
                "web": f"{self.url}/p/{p.id}",
                "get": get_url,
                "cancel": f"{get_url}/cancel",
            },
        }
        for name in ("started_at", "completed_at", "deadline"):
            if (moment := getattr(p, name)) is not None:
                body[name] = rfc3339(moment)
        if p.status in TERMINAL and p.started_at is not None and p.completed_at is not None:
            body["metrics"] = {
                "predict_time": round(p.completed_at - p.started_at, 6),
                "total_time": round(p.completed_at - p.created_at, 6),
            }
        return body

    # --- webhooks -----------------------------------------------------------------------------

    def _notify(self, p: Prediction, event: str) -> None:
        if p.webhook is None or event not in p.events:
            return
        if event in ("logs", "output"):
            now = time.monotonic()
            if now - p.last_intermediate < _THROTTLE_S:
                return
            p.last_intermediate = now
        body = json.dumps(self._json(p)).encode()
        message_id = f"msg_{secrets.token_urlsafe(18)}"
        self.webhooks.send(
            p.webhook,
            body,
            lambda raw: self.signed_headers(message_id, raw),
            retry=event == "completed",
        )

    def signed_headers(self, message_id: str, body: bytes) -> dict[str, str]:
        """Standard Webhooks v1 headers for this attempt, spoiled as `webhook_tamper` asks."""
        timestamp = int(time.time())
        if self.webhook_tamper == "stale":
            timestamp -= 600
        elif self.webhook_tamper == "future":
            timestamp += 600
        signed = f"{message_id}.{timestamp}.".encode() + body
        signatures = []
        for secret in self.secrets:
            key = base64.b64decode(secret.removeprefix("whsec_"))
            digest = hmac.new(key, signed, hashlib.sha256).digest()
            if self.webhook_tamper == "signature":
                digest = bytes(b ^ 1 for b in digest)
            signatures.append("v1," + base64.b64encode(digest).decode())
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(signatures),
        }


@contextlib.asynccontextmanager
async def running(**options: Any) -> AsyncIterator[FakeReplicate]:
    async with FakeReplicate(**options) as fake:
        yield fake
