"""The providers built from the configuration: each configured adapter that is registered, all
sharing one HTTP client that closes with them."""

from __future__ import annotations

from services.generation.tests.routing_support import Factory

from atelier_generation.providers.registry import remote_providers
from atelier_generation.providers.remote_config import RemoteProviderConfig


def config(name: str) -> RemoteProviderConfig:
    return RemoteProviderConfig(
        name, f"https://{name}.example/v1", api_key="k", request_timeout_s=7
    )


async def test_configured_and_registered_adapters_share_one_client_closed_at_the_end() -> None:
    factory = Factory()
    configs = [config("replicate"), config("fal"), config("openai")]

    async with remote_providers(configs, {"replicate": factory, "fal": factory}) as providers:
        assert sorted(providers) == ["fal", "replicate"]  # openai: configured, not built
        assert providers["replicate"].name == "replicate"
        (first, http), (second, same) = factory.built
        assert (first.name, second.name) == ("replicate", "fal")
        assert http is same
        assert http.timeout.read == 7
        assert not http.is_closed

    assert http.is_closed


async def test_a_registered_adapter_without_a_key_is_not_built() -> None:
    factory = Factory()

    async with remote_providers([], {"replicate": factory}) as providers:
        assert providers == {}

    assert factory.built == []
