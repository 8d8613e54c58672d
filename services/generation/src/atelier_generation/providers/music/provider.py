"""The music adapter: a Suno-style task API (sunoapi.org / kie.ai shapes).

Submit creates a task (two clips) and names our webhook as its callback; poll reads the task
record; callbacks, signed as kie.ai signs them, say which task moved. The API has no cancel:
a cancel here is a no-op, since the task runs to its end at the provider either way. Params
with an `audio_url` make a cover (upload-cover), whose audio the provider reads from that URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.errors import ProviderUnavailable, WebhookRejected
from atelier_generation.providers.inline_http import Answer, classified, send
from atelier_generation.providers.input_params import check_passed_urls
from atelier_generation.providers.job import JobState, JobStatus, ProviderJob, WebhookUpdate
from atelier_generation.providers.music import signature, wire
from atelier_generation.providers.remote_config import RemoteProviderConfig

# A callback body is small; a larger one is not a callback.
MAX_CALLBACK_BYTES = 256 * 1024


class MusicProvider:
    """`config.base_url` is the API root, e.g. https://api.sunoapi.org; `webhook_url` is
    required (the API requires a callback URL), `webhook_secret` is the webhook HMAC key."""

    def __init__(self, config: RemoteProviderConfig, http: httpx.AsyncClient) -> None:
        if not config.webhook_url:
            raise ValueError(f"{config.name}: a webhook URL is required (callBackUrl is mandatory)")
        self.name = config.name
        self._config = config
        self._base = config.base_url.rstrip("/")
        self._http = http

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        assert self._config.webhook_url is not None
        check_passed_urls(params, data_urls=False, provider=self.name)
        if "audio_url" in params:
            body = wire.cover_request(model.provider_model, params, self._config.webhook_url)
            url = f"{self._base}/api/v1/generate/upload-cover"
        else:
            body = wire.generate_request(model.provider_model, params, self._config.webhook_url)
            url = f"{self._base}/api/v1/generate"
        payload = await self._call("POST", url, json=body)
        return ProviderJob(self.name, wire.task_id_of(payload))

    async def poll(self, job: ProviderJob) -> JobStatus:
        if not wire.TASK_ID.match(job.job_id):
            return _lost("not a task id of this provider")
        url = f"{self._base}/api/v1/generate/record-info"
        payload = await self._call("GET", url, params={"taskId": job.job_id}, missing_ok=True)
        if payload is None:
            return _lost("the task is unknown to the provider")
        return wire.record_status(payload.get("data"))

    async def cancel(self, job: ProviderJob) -> None:
        return None  # nothing to call: the API cannot stop a task

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        if not self._config.webhook_secret:
            raise WebhookRejected("no webhook secret is configured for this provider")
        if len(body) > MAX_CALLBACK_BYTES:
            raise WebhookRejected("the callback body is too large")
        try:
            payload = json.loads(body)
            task_id, status = wire.callback_status(payload)
        except (ValueError, UnicodeDecodeError, ProviderUnavailable) as error:
            raise WebhookRejected(f"not a callback: {error}") from None
        if not wire.TASK_ID.match(task_id):
            raise WebhookRejected("not a task id of this provider")
        signature.verify(headers, task_id, self._config.webhook_secret)
        return WebhookUpdate(task_id, status)

    async def _call(
        self, method: str, url: str, *, missing_ok: bool = False, **kwargs: Any
    ) -> dict[str, Any] | None:
        answer: Answer = await send(
            self._http, method, url, provider=self.name,
            timeout_s=self._config.request_timeout_s,
            headers={"Authorization": f"Bearer {self._config.api_key}"}, **kwargs,
        )  # fmt: skip
        payload = answer.json_or_none()
        code = payload.get("code") if isinstance(payload, dict) else None
        if answer.status != 200 and code is None:
            raise classified(answer.status, answer.body[:200].decode(errors="replace"),
                             answer.headers, provider=self.name)  # fmt: skip
        if not isinstance(payload, dict):
            raise ProviderUnavailable("unexpected answer: not a JSON object", provider=self.name)
        if code == 404 and missing_ok:
            return None
        if code != 200:
            raise wire.body_error(code, payload.get("msg"))
        return payload


def _lost(why: str) -> JobStatus:
    return JobStatus(JobState.FAILED, error=ProviderUnavailable(why, provider=wire.PROVIDER))
