"""The OpenAI Images adapter: a synchronous generations call (or, given input images, an edits
call), run as a job.

OpenAI answers a generation with the finished images in the same HTTP call, and offers nothing
to poll or cancel. `InlineJobs` turns that call into a job: submit journals the request and runs
the call in the background, poll reports it (progress creeps while the call runs), and base64
images are published as temporary URLs on our own file server. See `inline_jobs` for why a
restart does not pay twice for a job whose call had finished. An edit's images are read from
their URLs (allowed origins only, bounded) when the call runs, and uploaded as multipart parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.errors import WebhookRejected
from atelier_generation.providers.inline_http import send
from atelier_generation.providers.inline_jobs import InlineJobs, Produced
from atelier_generation.providers.inline_outputs import InlineOutputs
from atelier_generation.providers.input_fetch import InputFetcher
from atelier_generation.providers.job import JobStatus, ProviderJob, WebhookUpdate
from atelier_generation.providers.openai import edits, wire
from atelier_generation.providers.remote_config import RemoteProviderConfig

# A GPT image takes tens of seconds; progress creeps towards 90 % over this long.
EXPECTED_S = 30.0


class OpenAIProvider:
    """`config.base_url` is the API root with its version, e.g. https://api.openai.com/v1."""

    def __init__(
        self,
        config: RemoteProviderConfig,
        http: httpx.AsyncClient,
        outputs: InlineOutputs,
        *,
        journal: Path | None = None,
        inputs: InputFetcher | None = None,
    ) -> None:
        self.name = config.name
        self._config = config
        self._http = http
        self._inputs = inputs
        self._jobs = InlineJobs(
            config.name, self._generate, outputs, journal=journal, expected_s=EXPECTED_S
        )

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        files = edits.inputs_of(params, self._inputs)
        request: dict[str, Any] = {
            # The call is the whole job: it may take as long as the model's deadline allows.
            "timeout_s": float(model.max_duration_s),
        }
        if files:
            request |= {"form": wire.edit_fields(model, params), "files": files}
        else:
            request["body"] = wire.generation_request(model, params)
        return ProviderJob(self.name, await self._jobs.start(request))

    async def poll(self, job: ProviderJob) -> JobStatus:
        return await self._jobs.status(job.job_id)

    async def cancel(self, job: ProviderJob) -> None:
        # OpenAI cannot stop a generation; we stop waiting for it (it may still be billed).
        await self._jobs.cancel(job.job_id)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        raise WebhookRejected("the OpenAI Images API sends no webhooks; its jobs are polled")

    async def close(self) -> None:
        await self._jobs.close()

    async def _generate(self, request: dict[str, Any]) -> Produced:
        if "form" in request:
            form = request["form"]
            files = await edits.parts(request["files"], self._inputs)
            sent: dict[str, Any] = {"data": form, "files": files}
            path, settings = "/images/edits", form
        else:
            sent = {"json": request["body"]}
            path, settings = "/images/generations", request["body"]
        answer = await send(
            self._http,
            "POST",
            f"{self._config.base_url.rstrip('/')}{path}",
            provider=self.name,
            timeout_s=float(request["timeout_s"]),
            headers={"Authorization": f"Bearer {self._config.api_key}"},
            **sent,
        )
        if answer.status != 200:
            raise wire.error_from(answer.status, answer.headers, answer.json_or_none())
        return wire.read_images(answer.json(self.name), wire.content_type_of(settings))
