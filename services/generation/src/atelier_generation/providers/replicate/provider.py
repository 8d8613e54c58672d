"""The Replicate provider: creates predictions, reads them back, cancels them, reads webhooks.

Polling reads `GET /predictions/{id}`; a webhook carries the same prediction body, so both turn
into a JobStatus through the same mapping. The model's max duration travels as Cancel-After, so
a job we lost track of (a crash) still stops at Replicate instead of running up a bill.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.data_url_outputs import DataUrlOutputs
from atelier_generation.providers.errors import ProviderError, ProviderUnavailable, WebhookRejected
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
from atelier_generation.providers.replicate import signature, wire
from atelier_generation.providers.replicate.refusals import NAME, refusal

DEFAULT_BASE_URL = "https://api.replicate.com/v1"


class ReplicateProvider:
    """Replicate through its predictions API; `inline` serves outputs that come as data URLs."""

    name = NAME

    def __init__(
        self,
        config: RemoteProviderConfig,
        http: httpx.AsyncClient,
        *,
        inline: DataUrlOutputs | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._http = http
        self._inline = inline
        self._clock = clock
        self._api = config.base_url.rstrip("/")
        # A malformed secret is a configuration error: it stops the service at start.
        self._keys = signature.secret_keys(config.webhook_secret) if config.webhook_secret else None

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        # Replicate reads input files itself, from a URL or a data URL (advised up to 256 KB).
        check_passed_urls(params, data_urls=True, provider=NAME)
        create = wire.create_call(
            model.provider_model,
            params,
            max_duration_s=model.max_duration_s,
            webhook=self._config.webhook_url,
        )
        answer = await self._call("POST", create.path, create.headers, create.body)
        if answer.status not in (200, 201, 202):
            raise refusal(answer)
        return ProviderJob(NAME, wire.prediction_id(answer.json_object(NAME)))

    async def poll(self, job: ProviderJob) -> JobStatus:
        if not _is_prediction_id(job.job_id):
            return _lost()
        answer = await self._call("GET", f"/predictions/{job.job_id}")
        if answer.status == 404:
            return _lost()
        if answer.status != 200:
            raise refusal(answer)
        return wire.job_status(answer.json_object(NAME), self._publish_inline)

    async def cancel(self, job: ProviderJob) -> None:
        if not _is_prediction_id(job.job_id):
            return  # never one of Replicate's: nothing there to stop
        answer = await self._call("POST", f"/predictions/{job.job_id}/cancel")
        # A finished or unknown prediction has nothing left to stop.
        if answer.status in (200, 201, 202, 204, 404, 409, 422):
            return
        raise refusal(answer)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        if self._keys is None:
            raise WebhookRejected("no Replicate webhook secret is configured")
        signature.verify(self._keys, headers, body, clock=self._clock)
        try:
            prediction = Answer(200, httpx.Headers(), body).json_object(NAME)
            return WebhookUpdate(
                wire.prediction_id(prediction), wire.job_status(prediction, self._publish_inline)
            )
        except ProviderError as error:
            raise WebhookRejected(f"an unreadable prediction: {error.message}") from None

    async def _call(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> Answer:
        return await call(
            self._http,
            method,
            self._api + path,
            provider=NAME,
            timeout_s=self._config.request_timeout_s,
            headers={"Authorization": f"Bearer {self._config.api_key}", **(headers or {})},
            json_body=body,
        )

    def _publish_inline(self, data_url: str) -> ProviderOutput:
        if self._inline is None:
            raise ProviderUnavailable("an inline output, and nowhere to serve it", provider=NAME)
        return self._inline.publish(data_url, provider=NAME)


def _is_prediction_id(job_id: str) -> bool:
    # The id goes into a URL path: anything but Replicate's own alphabet is not one of theirs.
    return job_id.isascii() and job_id.isalnum() and len(job_id) <= 100


def _lost() -> JobStatus:
    lost = ProviderUnavailable("Replicate does not know this prediction", provider=NAME)
    return JobStatus(JobState.FAILED, error=lost)
