"""Replicate's own Python client, pointed at the fake, runs a model end to end: proof that the
fake speaks Replicate's protocol (routes, bodies, statuses, webhook signatures)."""

from __future__ import annotations

import httpx
import pytest
from replicate.client import Client
from replicate.exceptions import ModelError, ReplicateError
from replicate.webhook import Webhooks

from atelier_testing.polling import eventually
from atelier_testing.provider_fakes.common_replicate_fal import WebhookReceiver
from atelier_testing.provider_fakes.replicate import FakeReplicate


def client_for(fake: FakeReplicate, token: str | None = None) -> Client:
    client = Client(api_token=token or fake.api_token, base_url=fake.url)
    client.poll_interval = 0.01
    return client


async def test_run_waits_and_returns_the_output_files() -> None:
    async with FakeReplicate() as fake, httpx.AsyncClient(trust_env=False) as http:
        output = await client_for(fake).async_run(
            "black-forest-labs/flux-schnell",
            input={"prompt": "a watercolor fox", "num_outputs": 2},
            use_file_output=False,
        )
        assert isinstance(output, list)
        assert len(output) == 2
        for url in output:
            assert (await http.get(url)).content.startswith(b"\x89PNG")


async def test_create_by_version_then_wait_shows_progress_and_metrics() -> None:
    version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
    async with FakeReplicate() as fake:
        client = client_for(fake)
        prediction = await client.predictions.async_create(version=version, input={"prompt": "x"})
        created_as = prediction.status
        await prediction.async_wait()
        assert created_as == "starting"
        assert prediction.status == "succeeded"
        assert prediction.progress is not None
        assert (prediction.progress.current, prediction.progress.total) == (4, 4)
        assert prediction.metrics is not None
        assert "predict_time" in prediction.metrics
        listed = await client.predictions.async_list()
        assert [p.id for p in listed.results] == [prediction.id]


async def test_cancel_and_failures_as_the_client_sees_them() -> None:
    async with FakeReplicate() as fake:
        client = client_for(fake)
        fake.pace.manual = True
        running = await client.models.predictions.async_create(
            model="acme/painter", input={"prompt": "x"}
        )
        canceled = await client.predictions.async_cancel(running.id)
        assert canceled.status == "canceled"
        await fake.pace.run_freely()
        with pytest.raises(ModelError):
            await client.async_run("acme/painter", input={"prompt": "[fake:nsfw]"})
        with pytest.raises(ReplicateError) as refused:
            await client_for(fake, "r8_wrong").predictions.async_get(running.id)
        assert refused.value.status == 401


async def test_a_hanging_create_leaves_a_prediction_the_caller_never_heard_of() -> None:
    # Plain HTTP: the client retries a timed-out create, which would start one more each time.
    async with FakeReplicate() as fake, httpx.AsyncClient(trust_env=False, timeout=0.3) as http:
        with pytest.raises(httpx.TimeoutException):
            await http.post(
                f"{fake.api_url}/models/acme/painter/predictions",
                headers={"Authorization": f"Bearer {fake.api_token}"},
                json={"input": {"prompt": "[fake:hang]"}},
            )
        listed = await client_for(fake).predictions.async_list()
        assert [p.model for p in listed.results] == ["acme/painter"]


async def test_webhooks_validate_with_the_clients_own_check() -> None:
    async with FakeReplicate() as fake, WebhookReceiver() as receiver:
        client = client_for(fake)
        secret = await client.webhooks.default.async_secret()
        assert secret.key == fake.secret
        await client.models.predictions.async_create(
            model="acme/painter",
            input={"prompt": "x"},
            webhook=receiver.url,
            webhook_events_filter=["start", "completed"],
        )

        async def both_arrived() -> bool:
            return len(receiver.received) >= 2

        await eventually(both_arrived, what="start and completed webhooks")
        for delivery in receiver.received:
            Webhooks.validate(
                headers=delivery.headers,
                body=delivery.body.decode(),
                secret=secret,
                tolerance=300,
            )
