"""Providers driven by a test: one answers submits and polls from a script (the SDK's waiting
loop and the router), one waits for the test and signs callbacks about its jobs (the webhook
path)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from atelier_generation.domain.catalogue import Model
from atelier_generation.domain.plan_priority import Priority
from atelier_generation.providers.errors import ContentPolicy, ProviderError, WebhookRejected
from atelier_generation.providers.job import (
    JobState,
    JobStatus,
    ProviderJob,
    ProviderOutput,
    WebhookUpdate,
)


class ScriptedProvider:
    """Each poll takes the next step: a status, or an error to raise; the last step repeats.
    Each submit takes the next of `submits`, an error to raise or None to accept it; once they
    are spent, submits are accepted. `submitted` lists the job ids it accepted (what we pay)."""

    def __init__(
        self,
        steps: Sequence[JobStatus | ProviderError],
        *,
        name: str = "scripted",
        submits: Sequence[ProviderError | None] = (),
    ) -> None:
        self.name = name
        self._steps = list(steps)
        self._submits = list(submits)
        self.calls: list[str] = []
        self.submitted: list[str] = []
        self.models: list[str] = []

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        self.calls.append("submit")
        refusal = self._submits.pop(0) if self._submits else None
        if refusal is not None:
            raise refusal
        job_id = f"job-{len(self.submitted) + 1}"
        self.submitted.append(job_id)
        self.models.append(model.provider_model)
        return ProviderJob(self.name, job_id)

    async def poll(self, job: ProviderJob) -> JobStatus:
        self.calls.append("poll")
        step = self._steps.pop(0) if len(self._steps) > 1 else self._steps[0]
        if isinstance(step, ProviderError):
            raise step
        return step

    async def cancel(self, job: ProviderJob) -> None:
        self.calls.append("cancel")

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        raise WebhookRejected("scripted providers send no webhooks")


class CallbackProvider:
    """Stands in for the built-in `local` provider (it takes over the catalogue's local models):
    its jobs stay running until a test says otherwise, and it signs callbacks about them.

    Callbacks are signed as Standard Webhooks sign them: HMAC-SHA256 over
    `<webhook-id>.<webhook-timestamp>.<body>` with its secret, base64 in `webhook-signature`
    as `v1,<signature>`. `parse_webhook` accepts exactly those.
    """

    name = "local"

    def __init__(self, secret: bytes = b"test-callback-secret") -> None:
        self._secret = secret
        self.states: dict[str, JobStatus] = {}
        self.priorities: list[Priority] = []

    async def submit(self, model: Model, params: Mapping[str, Any]) -> ProviderJob:
        job_id = f"cb-{secrets.token_hex(8)}"
        self.states[job_id] = JobStatus(JobState.RUNNING, 10)
        return ProviderJob(self.name, job_id)

    async def submit_with_priority(
        self, model: Model, params: Mapping[str, Any], priority: Priority
    ) -> ProviderJob:
        self.priorities.append(priority)
        return await self.submit(model, params)

    async def poll(self, job: ProviderJob) -> JobStatus:
        return self.states[job.job_id]

    async def cancel(self, job: ProviderJob) -> None:
        self.states[job.job_id] = JobStatus(JobState.CANCELED)

    def callback(
        self, job_id: str, state: str, progress: int = 0, **extra: Any
    ) -> tuple[dict[str, str], bytes]:
        """A genuine callback: its headers and body."""
        body = json.dumps({"job_id": job_id, "state": state, "progress": progress, **extra})
        return self.signed(body.encode())

    def signed(self, body: bytes, *, secret: bytes | None = None) -> tuple[dict[str, str], bytes]:
        message_id, timestamp = f"msg_{secrets.token_hex(6)}", str(int(time.time()))
        headers = {
            "Webhook-Id": message_id,
            "Webhook-Timestamp": timestamp,
            "Webhook-Signature": f"v1,{self._signature(message_id, timestamp, body, secret)}",
        }
        return headers, body

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookUpdate:
        try:
            message_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
            given = headers["webhook-signature"].split()
        except KeyError:
            raise WebhookRejected("missing signature headers") from None
        expected = f"v1,{self._signature(message_id, timestamp, body, None)}"
        if not any(hmac.compare_digest(expected, one) for one in given):
            raise WebhookRejected("bad signature")
        try:
            payload = json.loads(body)
            return WebhookUpdate(payload["job_id"], _status(payload))
        except (ValueError, KeyError, TypeError) as error:
            raise WebhookRejected(f"unreadable body: {error}") from None

    def _signature(self, message_id: str, timestamp: str, body: bytes, secret: bytes | None) -> str:
        signed = f"{message_id}.{timestamp}.".encode() + body
        digest = hmac.new(secret or self._secret, signed, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()


def _status(payload: dict[str, Any]) -> JobStatus:
    state = JobState(payload["state"])
    outputs = tuple(
        ProviderOutput(o["url"], o["content_type"], None) for o in payload.get("outputs", ())
    )
    error = None
    if state is JobState.FAILED:
        error = ContentPolicy(str(payload.get("error", "refused")), provider="local")
    return JobStatus(state, int(payload["progress"]), outputs, error)
