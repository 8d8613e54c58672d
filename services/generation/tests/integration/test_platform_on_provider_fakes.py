"""The service as an operator runs it against a provider's fake: only variables change (the
provider's key and ATELIER_PROVIDER_BASE_URL_<NAME>), and a generation goes through the real
adapter, the router and the saga to a stored output URL, billed once."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import yaml
from services.generation.tests.generation_service import service_settings
from services.generation.tests.saga_support import SagaClients, funded_account

from atelier.credits.v1 import credits_pb2_grpc
from atelier.generation.v1 import generation_pb2 as pb
from atelier.generation.v1 import generation_pb2_grpc
from atelier_generation.adapters.catalogue_file import load_catalogue, parse_catalogue
from atelier_generation.domain.catalogue import Catalogue
from atelier_generation.main import build
from atelier_generation.providers.provider import ADAPTER_NAMES
from atelier_runtime.grpc_client import channel
from atelier_testing.in_process import serving
from atelier_testing.provider_fakes.common_inline import serving as serving_fake
from atelier_testing.provider_fakes.openai import OpenAIFake
from atelier_testing.provider_fakes.replicate import FakeReplicate


def image_on(provider: str, provider_model: str) -> Catalogue:
    """The shipped catalogue with text-to-image's first model moved to `provider`."""
    document: dict[str, Any] = load_catalogue(None, ADAPTER_NAMES).model_dump(
        mode="json", exclude_defaults=True
    )
    tool = next(t for t in document["tools"] if t["id"] == "text-to-image")
    tool["models"][0].update(provider=provider, provider_model=provider_model)
    return parse_catalogue(yaml.safe_dump(document), "fakes.yaml", ADAPTER_NAMES)


async def generate(
    settings: Any, catalogue: Catalogue, credits_address: str
) -> tuple[pb.Generation, int]:
    app = functools.partial(build, catalogue=catalogue)
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
        model = catalogue.tool("text-to-image").models[0].id
        request = pb.SubmitGenerationRequest(
            account_id=account, idempotency_key="k-1", tool="text-to-image", model=model,
            params_json=json.dumps({"prompt": "a lighthouse at dusk"}),
        )  # fmt: skip
        submitted = (await saga.generation.Submit(request)).generation
        done = await saga.settled(account, submitted.id)
        balance = await saga.available(account)
        # The output must be fetchable while the service runs (media copies it then).
        async with httpx.AsyncClient(trust_env=False) as http:
            answers = [await http.get(o.url) for o in done.outputs]
    assert all(a.status_code == 200 and a.content.startswith(b"\x89PNG") for a in answers)
    return done, balance


@pytest.mark.parametrize("fake_name", ["replicate", "openai"])
async def test_a_generation_runs_on_a_fake_chosen_by_variables(
    fake_name: str, database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    runs: dict[str, Callable[[], Any]] = {"replicate": _on_replicate, "openai": _on_openai}
    done, balance = await runs[fake_name]()(database_url, nats_url, bus_prefix, credits_address)

    assert done.status == pb.GENERATION_STATUS_SUCCEEDED
    assert done.credits_state == pb.CREDITS_STATE_CONFIRMED
    assert balance == 10 - done.cost  # billed once


def _on_replicate() -> Any:
    async def run(*servers: str) -> tuple[pb.Generation, int]:
        database_url, nats_url, bus_prefix, credits_address = servers
        async with FakeReplicate(step_s=0.05) as fake:
            settings = service_settings(
                database_url, nats_url, bus_prefix, credits_addr=credits_address,
                provider_api_key_replicate=fake.api_token,
                provider_base_url_replicate=fake.api_url,
                generation_provider_poll_first_s=0.01,
            )  # fmt: skip
            return await generate(settings, image_on("replicate", "owner/image"), credits_address)

    return run


def _on_openai() -> Any:
    async def run(*servers: str) -> tuple[pb.Generation, int]:
        database_url, nats_url, bus_prefix, credits_address = servers
        with serving_fake(OpenAIFake()) as fake:
            settings = service_settings(
                database_url, nats_url, bus_prefix, credits_addr=credits_address,
                provider_api_key_openai=fake.api_key,
                provider_base_url_openai=f"{fake.base_url}/v1",
                generation_provider_poll_first_s=0.01,
            )  # fmt: skip
            # gpt-image answers base64: served from the service's own file server.
            return await generate(settings, image_on("openai", "gpt-image-1"), credits_address)

    return run
