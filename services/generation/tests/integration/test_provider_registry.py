"""The composition root runs a model on a remote adapter once its key is set and its factory
registered: a generation on it goes through the router to the provider the factory built."""

from __future__ import annotations

import functools
import json

from services.generation.tests.generation_service import service_settings
from services.generation.tests.routing_support import DONE, Factory, routed_catalogue
from services.generation.tests.saga_support import SagaClients, funded_account

from atelier.credits.v1 import credits_pb2_grpc
from atelier.generation.v1 import generation_pb2 as pb
from atelier.generation.v1 import generation_pb2_grpc
from atelier_generation.main import build
from atelier_runtime.grpc_client import channel
from atelier_testing.in_process import serving


async def test_a_model_runs_on_the_remote_adapter_its_key_configures(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    settings = service_settings(
        database_url, nats_url, bus_prefix, credits_addr=credits_address,
        provider_api_key_replicate="r8_key", public_url="https://atelier.example",
        generation_provider_poll_first_s=0.01,
    )  # fmt: skip
    factory = Factory(polls=[DONE])
    app = functools.partial(build, catalogue=routed_catalogue(), factories={"replicate": factory})
    async with (
        serving(settings, app) as address,
        channel(address) as g,
        channel(credits_address) as c,
    ):
        saga = SagaClients(
            generation_pb2_grpc.GenerationServiceStub(g),  # type: ignore[arg-type]
            credits_pb2_grpc.CreditsServiceStub(c),  # type: ignore[arg-type]
        )
        account = await funded_account(saga.credits, 10)
        request = pb.SubmitGenerationRequest(
            account_id=account, idempotency_key="k-1", tool="text-to-image", model="local",
            params_json=json.dumps({"prompt": "a lighthouse"}),
        )  # fmt: skip
        submitted = (await saga.generation.Submit(request)).generation
        done = await saga.settled(account, submitted.id)

    assert done.status == pb.GENERATION_STATUS_SUCCEEDED
    assert done.credits_state == pb.CREDITS_STATE_CONFIRMED
    [(config, http)] = factory.built
    assert config.webhook_url == "https://atelier.example/v1/webhooks/providers/replicate"
    assert config.api_key == "r8_key"
    assert http.is_closed  # closed when the service stopped
