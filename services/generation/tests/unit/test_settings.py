"""The generation settings: the local provider's knobs from the environment, refused by name."""

from __future__ import annotations

import pytest

from atelier_generation.settings import GenerationSettings
from atelier_runtime.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # The one variable generation cannot start without.
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/generation")


def test_input_origins_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "ATELIER_LOCAL_PROVIDER_INPUT_ORIGINS", "https://media.example, http://127.0.0.1:9000"
    )
    monkeypatch.setenv("ATELIER_LOCAL_PROVIDER_LATENCY_S", "0")

    config = load_settings(GenerationSettings).local_provider()

    assert config.input_origins == ("https://media.example", "http://127.0.0.1:9000")
    assert config.latency_s == 0


def test_remote_input_origins_and_limit_reach_the_adapters_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATELIER_PROVIDER_INPUT_ORIGINS", "https://media.example,")
    monkeypatch.setenv("ATELIER_PROVIDER_MAX_INPUT_BYTES", "1048576")

    inputs = load_settings(GenerationSettings).input_files()

    assert inputs.origins == ("https://media.example",)
    assert inputs.max_bytes == 1048576


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ATELIER_LOCAL_PROVIDER_INPUT_ORIGINS", "ftp://files.example"),
        ("ATELIER_PROVIDER_INPUT_ORIGINS", "file:///etc"),
        ("ATELIER_PROVIDER_MAX_INPUT_BYTES", "0"),
        ("ATELIER_LOCAL_PROVIDER_LATENCY_S", "-1"),
        ("ATELIER_LOCAL_PROVIDER_URL_TTL_S", "0"),
        ("ATELIER_LOCAL_PROVIDER_PORT", "70000"),
        ("ATELIER_GENERATION_PLAN_PRIORITY", "pro,basic,pro"),
        ("ATELIER_GENERATION_PLAN_PRIORITY", "pro,bas\x01ic"),
    ],
)
def test_a_malformed_value_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as refused:
        load_settings(GenerationSettings)

    assert refused.value.problems[0].startswith(f"{variable}:")


def test_plan_priority_is_a_comma_separated_order(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(GenerationSettings).saga().plan_priority == ("pro", "standard", "basic")
    monkeypatch.setenv("ATELIER_GENERATION_PLAN_PRIORITY", "team, pro")

    assert load_settings(GenerationSettings).saga().plan_priority == ("team", "pro")


def test_the_music_key_without_a_public_url_is_refused_in_one_line_without_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ATELIER_PROVIDER_API_KEY_MUSIC", "music-secret-key")
    with pytest.raises(SettingsError) as refused:
        load_settings(GenerationSettings)
    (line,) = refused.value.problems
    assert line.startswith("ATELIER_PUBLIC_URL must be set when ATELIER_PROVIDER_API_KEY_MUSIC")
    assert "music-secret-key" not in line

    monkeypatch.setenv("ATELIER_PUBLIC_URL", "https://atelier.example")
    (music,) = load_settings(GenerationSettings).remote_providers()
    assert music.webhook_url == "https://atelier.example/v1/webhooks/providers/music"
