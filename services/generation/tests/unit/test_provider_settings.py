"""The remote providers' variables: a provider is configured by its key, every value is checked
and a bad one is refused naming its variable, and secrets are never echoed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from atelier_generation.provider_settings import REMOTE_ADAPTERS
from atelier_generation.providers.provider import ADAPTER_NAMES
from atelier_generation.settings import GenerationSettings
from atelier_runtime.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/generation")


def test_every_remote_adapter_has_its_variables() -> None:
    assert set(REMOTE_ADAPTERS) == ADAPTER_NAMES - {"local"}


def test_only_a_provider_with_a_key_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_PROVIDER_API_KEY_REPLICATE", "r8_secret")
    monkeypatch.setenv("ATELIER_PROVIDER_API_KEY_FAL", "  ")  # blank is unset
    monkeypatch.setenv("ATELIER_PROVIDER_WEBHOOK_SECRET_REPLICATE", "whsec_abc")

    [replicate] = load_settings(GenerationSettings).remote_providers()

    assert replicate.name == "replicate"
    assert replicate.base_url == "https://api.replicate.com/v1"
    assert replicate.api_key == "r8_secret"
    assert replicate.webhook_secret == "whsec_abc"
    assert replicate.webhook_url is None  # no public URL: polled only
    assert "r8_secret" not in repr(replicate)


def test_base_url_and_webhook_url_follow_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_PROVIDER_API_KEY_FAL", "key")
    monkeypatch.setenv("ATELIER_PROVIDER_BASE_URL_FAL", "http://127.0.0.1:9911/")
    monkeypatch.setenv("ATELIER_PUBLIC_URL", "https://atelier.example/")
    monkeypatch.setenv("ATELIER_PROVIDER_REQUEST_TIMEOUT_S", "12.5")

    [fal] = load_settings(GenerationSettings).remote_providers()

    assert fal.base_url == "http://127.0.0.1:9911"
    assert fal.webhook_url == "https://atelier.example/v1/webhooks/providers/fal"
    assert fal.request_timeout_s == 12.5


def test_router_limits_are_per_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_PROVIDER_MAX_CONCURRENT_MUSIC", "3")
    monkeypatch.setenv("ATELIER_PROVIDER_SUBMITS_PER_S_MUSIC", "0.5")
    monkeypatch.setenv("ATELIER_PROVIDER_COOLDOWN_S", "90")

    router = load_settings(GenerationSettings).router()

    music = router.limits_of("music")
    assert (music.max_concurrent, music.submits_per_s, music.burst) == (3, 0.5, 1)
    assert router.limits_of("local").submits_per_s == 0  # unlimited
    assert router.breaker.cooldown_s == 90


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ATELIER_PROVIDER_BASE_URL_OPENAI", "api.openai.com"),
        ("ATELIER_PROVIDER_BASE_URL_GEMINI", "ftp://files.example"),
        ("ATELIER_PUBLIC_URL", "not a url"),
        ("ATELIER_PROVIDER_MAX_CONCURRENT_FAL", "0"),
        ("ATELIER_PROVIDER_SUBMITS_PER_S_REPLICATE", "-1"),
        ("ATELIER_PROVIDER_RETRY_ATTEMPTS", "many"),
        ("ATELIER_PROVIDER_BREAKER_FAILURE_RATIO", "1.5"),
        ("ATELIER_PROVIDER_REQUEST_TIMEOUT_S", "0"),
    ],
)
def test_a_malformed_value_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as refused:
        load_settings(GenerationSettings)

    assert refused.value.problems[0].startswith(f"{variable}:")


def test_a_bad_variable_stops_the_service_with_status_2_in_one_line() -> None:
    env = {
        "ATELIER_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/generation",
        "ATELIER_PROVIDER_BASE_URL_MUSIC": "sunoapi",
        "PATH": "/usr/bin:/bin",
    }
    program = "from atelier_generation.main import main; main()"

    ended = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
    )

    assert ended.returncode == 2
    assert ended.stderr.strip().splitlines() == [
        "ATELIER_PROVIDER_BASE_URL_MUSIC: must be an http(s) URL like http://host:9000, got 'sunoapi'"
    ]
