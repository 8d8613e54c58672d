"""The fal provider: submits to fal's queue, polls status then result, cancels, reads webhooks.

fal identifies a request by its request id alone (that is all a webhook names), but its status,
result and cancel URLs also need the app. The app of each request submitted here is remembered;
after a restart a request is looked up under each fal app the catalogue names (`apps`).
Webhook keys come from fal's JWKS, fetched by `refresh_keys()` (at start, then daily).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.data_url_outputs import DataUrlOutputs
from atelier_generation.providers.errors import (
    ProviderError,
    ProviderUnavailable,
    WebhookRejected,
)
from atelier_generation.providers.fal import signature, wire
from atelier_generation.providers.fal.refusals import NAME, refusal
from atelier_generation.providers.input_params import check_passed_urls
from atelier_generation.providers.job import (
    JobState,
    JobStatus,
    ProviderJob,
    ProviderOutput,
    WebhookUpdate,
)
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_generation.providers.remote_http import Answer, call

DEFAULT_BASE_URL = "https://queue.fal.run"
DEFAULT_JWKS_URL = "https://rest.fal.ai/.well-known/jwks.json"
# How long fal keeps our output files: long enough for media to copy them, then gone.
MEDIA_LIFETIME_S = 24 * 3600
KEYS_MAX_AGE_S = 24 * 3600
_log = logging.getLogger(__name__)


class FalProvider:
    """fal through its queue API; `inline` serves outputs that come as data URLs."""

    name = NAME

    def __init__(
        self,
        config: RemoteProviderConfig,
        http: httpx.AsyncClient,
        *,
        jwks_url: str = DEFAULT_JWKS_URL,
        apps: Iterable[str] = (),
        inline: DataUrlOutputs | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._http = http
        self._jwks_url = jwks_url
        self._apps = {wire.endpoint_and_app(model)[1] for model in apps}
        self._app_of: dict[str, str] = {}
        self._inline = inline
        self._clock = clock
        self._queue = config.base_url.rstrip("/")
        self._keys: tuple[Ed25519PublicKey, ...] = ()
        self._keys_at = 0.0

    async def refresh_keys(self) -> None:
        """Fetches fal's webhook keys; ProviderUnavailable if they cannot be read."""
        answer = await call(
            self._http,
            "GET",
            self._jwks_url,
            provider=NAME,
            timeout_s=self._config.request_timeout_s,
        )
        if answer.status != 200:
            raise refusal(answer)
        keys = signature.public_keys(answer.json(NAME))
        if not keys:
            raise ProviderUnavailable("fal's JWKS holds no Ed25519 key", provider=NAME)
        self._keys, self._keys_at = keys, self._clock()

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        # fal reads input files itself, from a URL or a base64 data URI.
        check_passed_urls(params, data_urls=True, provider=NAME)
        endpoint, app = wire.endpoint_and_app(model.provider_model)
        url = f"{self._queue}/{endpoint}"
        if self._config.webhook_url is not None:
            url += "?" + urlencode({"fal_webhook": self._config.webhook_url})
            await self._refresh_keys_if_old()
        headers = {
            "X-Fal-Request-Timeout": str(max(model.max_duration_s, 2)),
            "X-Fal-Object-Lifecycle-Preference": json.dumps(
                {"expiration_duration_seconds": MEDIA_LIFETIME_S}
            ),
        }
        answer = await self._call("POST", url, headers, dict(params))
        if answer.status not in (200, 201, 202):
            raise refusal(answer)
        request_id = answer.json_object(NAME).get("request_id")
        if not wire.is_request_id(request_id):
            raise ProviderUnavailable(
                "a submit answer without a readable request_id", provider=NAME
            )
        assert isinstance(request_id, str)
        self._app_of[request_id] = app
        return ProviderJob(NAME, request_id)

    async def poll(self, job: ProviderJob) -> JobStatus:
        found = await self._status(job.job_id)
        if found is None:
            lost = ProviderUnavailable("fal does not know this request", provider=NAME)
            return JobStatus(JobState.FAILED, error=lost)
        app, status = found
        queued_or_running = wire.queue_state(status)
        if queued_or_running is not None:
            return queued_or_running
        result = await self._call("GET", f"{self._queue}/{app}/requests/{job.job_id}")
        return self._ended(result.status, result)

    async def cancel(self, job: ProviderJob) -> None:
        app = self._app_of.get(job.job_id)
        if app is None:
            found = await self._status(job.job_id)
            if found is None:
                return  # unknown to fal: nothing to stop
            app = found[0]
        answer = await self._call("PUT", f"{self._queue}/{app}/requests/{job.job_id}/cancel")
        # 400 ALREADY_COMPLETED and 404 NOT_FOUND leave nothing to stop.
        if answer.status not in (200, 202, 204, 400, 404):
            raise refusal(answer)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        if not self._keys:
            raise WebhookRejected("fal's webhook keys are not loaded yet")
        request_id = signature.verify(self._keys, headers, body, clock=self._clock)
        try:
            update = Answer(200, httpx.Headers(), body).json_object(NAME)
            if update.get("request_id") != request_id:
                raise WebhookRejected("the body names another request than the signed headers")
            return WebhookUpdate(request_id, self._from_webhook(update))
        except ProviderError as error:
            raise WebhookRejected(f"an unreadable webhook: {error.message}") from None

    def _from_webhook(self, update: dict[str, Any]) -> JobStatus:
        payload = update.get("payload")
        if update.get("status") == "OK" and payload is not None:
            raw = json.dumps(payload).encode()
            return self._ended(200, Answer(200, httpx.Headers(), raw))
        if update.get("status") == "ERROR":
            error = str(update.get("error", ""))
            code = int(error.rsplit(" ", 1)[-1]) if error.rsplit(" ", 1)[-1].isdigit() else 500
            return self._ended(code, Answer(code, httpx.Headers(), json.dumps(payload).encode()))
        raise ProviderUnavailable("a webhook with neither a payload nor an error", provider=NAME)

    def _ended(self, status: int, result: Answer) -> JobStatus:
        if status >= 300:
            error = refusal(result)
            return JobStatus(JobState.FAILED, 100, error=error, detail=error.message)
        expires_at = datetime.fromtimestamp(self._clock() + MEDIA_LIFETIME_S - 60, UTC)
        found = wire.outputs(result.json(NAME), expires_at)
        if not found:
            none = ProviderUnavailable(
                "the request completed without an output file", provider=NAME
            )
            return JobStatus(JobState.FAILED, 100, error=none)
        return JobStatus(JobState.SUCCEEDED, 100, tuple(self._served(o) for o in found))

    def _served(self, output: ProviderOutput) -> ProviderOutput:
        if not output.url.startswith("data:"):
            return output
        if self._inline is None:
            raise ProviderUnavailable("an inline output, and nowhere to serve it", provider=NAME)
        return self._inline.publish(output.url, provider=NAME)

    async def _status(self, request_id: str) -> tuple[str, dict[str, Any]] | None:
        """(app, status body) of a request, trying the apps it may belong to; None if unknown."""
        if not wire.is_request_id(request_id):
            return None
        known = self._app_of.get(request_id)
        for app in [known] if known else sorted(self._apps):
            answer = await self._call(
                "GET", f"{self._queue}/{app}/requests/{request_id}/status?logs=1"
            )
            if answer.status == 404:
                continue
            if answer.status != 200:
                raise refusal(answer)
            self._app_of[request_id] = app
            return app, answer.json_object(NAME)
        return None

    async def _refresh_keys_if_old(self) -> None:
        if self._keys and self._clock() - self._keys_at < KEYS_MAX_AGE_S:
            return
        try:
            await self.refresh_keys()
        except ProviderError as error:
            # The job can still run and be polled; only its webhook would be refused.
            _log.warning("fal webhook keys not refreshed", extra={"error": error.message})

    async def _call(
        self, method: str, url: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> Answer:
        return await call(
            self._http,
            method,
            url,
            provider=NAME,
            timeout_s=self._config.request_timeout_s,
            headers={"Authorization": f"Key {self._config.api_key}", **(headers or {})},
            json_body=body,
        )
