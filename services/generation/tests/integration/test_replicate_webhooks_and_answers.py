"""Replicate webhooks are accepted only when genuinely signed (rotation, retries and the
Standard Webhooks test vector included); hostile or malformed answers become provider faults;
inline data-URL outputs are served at temporary URLs."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable

import pytest
from services.generation.tests.remote_support import download, http_client, image_model, is_png
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from atelier_generation.providers.data_url_outputs import DataUrlOutputs
from atelier_generation.providers.errors import ProviderUnavailable, WebhookRejected
from atelier_generation.providers.job import JobState, ProviderJob
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_generation.providers.replicate.provider import ReplicateProvider
from atelier_generation.providers.served_files import ServedFilesConfig, serving_files
from atelier_testing.polling import eventually
from atelier_testing.provider_fakes.common_replicate_fal import FakeHttpServer, WebhookReceiver
from atelier_testing.provider_fakes.replicate import FakeReplicate

FLUX = image_model("replicate", "black-forest-labs/flux-schnell")


def provider_for(
    fake: FakeReplicate, receiver: WebhookReceiver, http: object, secret: str
) -> ReplicateProvider:
    config = RemoteProviderConfig(
        "replicate", fake.api_url, fake.api_token, webhook_url=receiver.url, webhook_secret=secret
    )
    return ReplicateProvider(config, http)  # type: ignore[arg-type]


async def completed_delivery(receiver: WebhookReceiver, count: int = 1) -> None:
    async def arrived() -> bool:
        terminal = [r for r in receiver.received if b'"status": "succeeded"' in r.body]
        return len(terminal) >= count

    await eventually(arrived, what="the completed webhook")


async def test_a_signed_webhook_reports_the_finished_job() -> None:
    async with FakeReplicate() as fake, WebhookReceiver() as receiver, http_client() as http:
        replicate = provider_for(fake, receiver, http, fake.secret)
        job = await replicate.submit(FLUX, {"prompt": "a fox"})
        await completed_delivery(receiver)
        updates = [replicate.parse_webhook(r.headers, r.body) for r in receiver.received]
        assert {update.job_id for update in updates} == {job.job_id}
        final = updates[-1].status
        assert final.state is JobState.SUCCEEDED
        assert is_png((await download(final.outputs[0].url)).content)


@pytest.mark.parametrize("tamper", ["signature", "stale", "future"])
async def test_a_forged_or_replayed_webhook_is_rejected(tamper: str) -> None:
    async with FakeReplicate() as fake, WebhookReceiver() as receiver, http_client() as http:
        replicate = provider_for(fake, receiver, http, fake.secret)
        fake.webhook_tamper = tamper
        await replicate.submit(FLUX, {"prompt": "a fox"})
        await completed_delivery(receiver)
        for delivery in receiver.received:
            with pytest.raises(WebhookRejected):
                replicate.parse_webhook(delivery.headers, delivery.body)


async def test_a_webhook_signed_with_another_secret_or_altered_is_rejected() -> None:
    async with FakeReplicate() as fake, WebhookReceiver() as receiver, http_client() as http:
        other = "whsec_" + base64.b64encode(b"k" * 32).decode()
        replicate = provider_for(fake, receiver, http, other)
        await replicate.submit(FLUX, {"prompt": "a fox"})
        await completed_delivery(receiver)
        delivery = receiver.received[-1]
        with pytest.raises(WebhookRejected):
            replicate.parse_webhook(delivery.headers, delivery.body)
        genuine = provider_for(fake, receiver, http, fake.secret)
        with pytest.raises(WebhookRejected):
            genuine.parse_webhook(delivery.headers, delivery.body.replace(b"succeeded", b"failed"))
        with pytest.raises(WebhookRejected):
            genuine.parse_webhook({}, delivery.body)


async def test_during_a_rotation_either_secret_is_accepted() -> None:
    async with FakeReplicate() as fake, WebhookReceiver() as receiver, http_client() as http:
        old = fake.secret
        new = fake.rotate_secret()
        signed_by_both = provider_for(fake, receiver, http, new)
        await signed_by_both.submit(FLUX, {"prompt": "a fox"})
        await completed_delivery(receiver)
        delivery = receiver.received[-1]
        assert len(delivery.headers["webhook-signature"].split(" ")) == 2
        for secret in (old, new, f"{old},{new}"):
            provider_for(fake, receiver, http, secret).parse_webhook(
                delivery.headers, delivery.body
            )


async def test_the_terminal_webhook_is_retried_with_the_same_id() -> None:
    async with (
        FakeReplicate() as fake,
        WebhookReceiver([500, 503, 500]) as receiver,
        http_client() as http,
    ):
        replicate = provider_for(fake, receiver, http, fake.secret)
        await replicate.submit(FLUX, {"prompt": "a fox"})
        await eventually(
            lambda: _succeeded_count(receiver, 2), what="a retry of the completed webhook"
        )
        terminal = [r for r in receiver.received if b'"status": "succeeded"' in r.body]
        assert len({r.headers["webhook-id"] for r in terminal}) == 1
        for delivery in terminal:
            replicate.parse_webhook(delivery.headers, delivery.body)


async def _succeeded_count(receiver: WebhookReceiver, count: int) -> bool:
    return len([r for r in receiver.received if b'"status": "succeeded"' in r.body]) >= count


async def test_the_standard_webhooks_test_vector_verifies() -> None:
    config = RemoteProviderConfig(
        "replicate",
        "http://127.0.0.1:9/v1",
        "r8_x",
        webhook_secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    body = b'{"test": 2432232314}'
    async with http_client() as http:
        at_the_time = ReplicateProvider(config, http, clock=lambda: 1614265330.0)
        # Genuine, but not a prediction: refused for what it says, not for its signature.
        with pytest.raises(WebhookRejected, match="unreadable prediction"):
            at_the_time.parse_webhook(headers, body)
        with pytest.raises(WebhookRejected, match="tolerance"):
            ReplicateProvider(config, http).parse_webhook(headers, body)


Answer = Callable[[Request], Response]


@pytest.fixture
async def hostile() -> AsyncIterator[dict[str, Answer]]:
    """A server whose answer to GET /v1/predictions/{id} the test chooses."""
    answers: dict[str, Answer] = {}

    async def answer(request: Request) -> Response:
        return answers["get"](request)

    server = FakeHttpServer(Starlette(routes=[Route("/v1/predictions/{id}", answer)]))
    await server.start()
    answers["url"] = lambda _: Response(server.url)
    try:
        yield answers
    finally:
        await server.close()


def _base(answers: dict[str, Answer]) -> str:
    return bytes(answers["url"](None).body).decode()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"id": "abc", "status": "exploded"}',
        b'{"id": "abc"}',
        b"{" * 100_000,
        json.dumps(
            {"id": "abc", "status": "succeeded", "output": "data:image/png;base64,@@@"}
        ).encode(),
        b'{"id": "abc", "status": "succeeded", "output": "data:image/png;base64,AAAA"}',
    ],
)
async def test_a_malformed_answer_is_a_provider_fault(
    hostile: dict[str, Answer], body: bytes
) -> None:
    hostile["get"] = lambda _: Response(body, 200, media_type="application/json")
    async with http_client() as http:
        replicate = ReplicateProvider(
            RemoteProviderConfig("replicate", f"{_base(hostile)}/v1", "k"), http
        )
        with pytest.raises(ProviderUnavailable):
            await replicate.poll(ProviderJob("replicate", "abc"))


async def test_a_huge_answer_is_cut_off_as_a_provider_fault(
    hostile: dict[str, Answer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("atelier_generation.providers.remote_http.MAX_ANSWER_BYTES", 1000)
    hostile["get"] = lambda _: Response(b" " * 5000, 200)
    async with http_client() as http:
        replicate = ReplicateProvider(
            RemoteProviderConfig("replicate", f"{_base(hostile)}/v1", "k"), http
        )
        with pytest.raises(ProviderUnavailable, match="more than"):
            await replicate.poll(ProviderJob("replicate", "abc"))


async def test_an_inline_output_is_served_at_a_temporary_url(hostile: dict[str, Answer]) -> None:
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    prediction = {"id": "abc", "status": "succeeded", "output": [data_url]}
    hostile["get"] = lambda _: Response(json.dumps(prediction), 200, media_type="application/json")
    served = serving_files(ServedFilesConfig(), prefix="atelier-test-inline-")
    async with http_client() as http, served as files:
        config = RemoteProviderConfig("replicate", f"{_base(hostile)}/v1", "k")
        inline = DataUrlOutputs(files.files, files.server)
        replicate = ReplicateProvider(config, http, inline=inline)
        first = await replicate.poll(ProviderJob("replicate", "abc"))
        again = await replicate.poll(ProviderJob("replicate", "abc"))
        assert first.state is JobState.SUCCEEDED
        assert first.outputs == again.outputs  # published once, however often polled
        output = first.outputs[0]
        assert output.content_type == "image/png"
        assert output.expires_at is not None
        assert (await download(output.url)).content == png
