"""The Gemini adapter: images by `generateContent` (a synchronous call run as a job), videos by
Veo's long-running operation (whose name is the job id).

Images come back inline and are published on our own file server. A Veo video is downloadable
only with our API key, which the media service must never hold, so the adapter downloads it once
the operation is done and publishes it the same way. Gemini offers no cancel for an operation
and no webhooks: a cancel stops our waiting, and jobs are polled. Input images are read from
their URLs and sent inline (see `inputs`): for an image when its call runs, for a video at submit.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from atelier_generation.domain.catalogue import Model
from atelier_generation.providers.errors import ProviderError, ProviderUnavailable, WebhookRejected
from atelier_generation.providers.gemini import inputs, wire
from atelier_generation.providers.gemini.video_download import download_video
from atelier_generation.providers.inline_http import Answer, send
from atelier_generation.providers.inline_jobs import InlineJobs, Produced
from atelier_generation.providers.inline_outputs import InlineOutputs
from atelier_generation.providers.input_fetch import InputFetcher
from atelier_generation.providers.job import JobState, JobStatus, ProviderJob, WebhookUpdate
from atelier_generation.providers.remote_config import RemoteProviderConfig

EXPECTED_IMAGE_S = 15.0
# Veo tells only done or not; a running operation is shown halfway.
RUNNING_PROGRESS = 50


class GeminiProvider:
    """`config.base_url` is the API root with its version, e.g.
    https://generativelanguage.googleapis.com/v1beta."""

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
        self._inputs = inputs
        self._config = config
        self._base = config.base_url.rstrip("/")
        self._http = http
        self._outputs = outputs
        self._images = InlineJobs(
            config.name, self._generate_image, outputs, journal=journal, expected_s=EXPECTED_IMAGE_S
        )
        # Finished videos, so later polls do not download them again.
        self._videos: dict[str, JobStatus] = {}

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        images = inputs.checked_urls(params, self._inputs)
        if model.outputs.kind == "video":
            frame = await inputs.inline_images(images, self._inputs)
            answer = await self._send(
                "POST",
                f"{self._base}/models/{model.provider_model}:predictLongRunning",
                json=inputs.with_first_frame(wire.video_request(params), frame),
            )
            return ProviderJob(self.name, wire.operation_name(answer.json(self.name)))
        request = {
            "model": model.provider_model,
            "body": wire.content_request(params),
            "images": images,
            "timeout_s": float(model.max_duration_s),
        }
        return ProviderJob(self.name, await self._images.start(request))

    async def poll(self, job: ProviderJob) -> JobStatus:
        if not wire.OPERATION_NAME.match(job.job_id):
            return await self._images.status(job.job_id)
        known = self._videos.get(job.job_id)
        if known is not None:
            return known
        answer = await self._send("GET", f"{self._base}/{job.job_id}", missing_ok=True)
        if answer.status == 404:
            lost = ProviderUnavailable("the operation is unknown to Gemini", provider=self.name)
            return JobStatus(JobState.FAILED, error=lost)
        operation = wire.read_operation(answer.json(self.name))
        if not operation.done:
            return JobStatus(JobState.RUNNING, RUNNING_PROGRESS)
        status = await self._finished(operation)
        self._videos[job.job_id] = status
        return status

    async def cancel(self, job: ProviderJob) -> None:
        if wire.OPERATION_NAME.match(job.job_id):
            self._videos.setdefault(job.job_id, JobStatus(JobState.CANCELED))
        else:
            await self._images.cancel(job.job_id)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        raise WebhookRejected("Gemini sends no webhooks; its jobs are polled")

    async def close(self) -> None:
        await self._images.close()

    async def _finished(self, operation: wire.Operation) -> JobStatus:
        if operation.error is not None:
            return JobStatus(JobState.FAILED, error=operation.error)
        try:
            outputs = []
            for uri in operation.video_uris:
                data = await download_video(self._http, self._config, uri)
                outputs.append(await self._outputs.publish(data, "video/mp4"))
        except ProviderError as error:
            # Not remembered: the video may download on the next poll.
            return JobStatus(JobState.RUNNING, RUNNING_PROGRESS, detail=error.message)
        return JobStatus(JobState.SUCCEEDED, 100, tuple(outputs))

    async def _generate_image(self, request: dict[str, Any]) -> Produced:
        images = await inputs.inline_images(request.get("images", []), self._inputs)
        answer = await self._send(
            "POST",
            f"{self._base}/models/{request['model']}:generateContent",
            timeout_s=float(request["timeout_s"]),
            json=inputs.with_images(request["body"], images),
        )
        return wire.read_content(answer.json(self.name))

    async def _send(
        self,
        method: str,
        url: str,
        *,
        timeout_s: float | None = None,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> Answer:
        answer = await send(
            self._http,
            method,
            url,
            provider=self.name,
            timeout_s=timeout_s or self._config.request_timeout_s,
            headers={"x-goog-api-key": self._config.api_key},
            **kwargs,
        )
        if answer.status != 200 and not (missing_ok and answer.status == 404):
            raise wire.error_from(answer.status, answer.headers, answer.json_or_none())
        return answer
