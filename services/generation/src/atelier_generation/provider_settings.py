"""The remote providers' settings: where each is, its key, its webhook secret, and the router's
limits, one ATELIER_PROVIDER_<KNOB>_<NAME> variable each.

The fields are spelt out (rather than generated) so every variable is greppable and a bad
value is named by the settings loader like any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Self, cast

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from atelier_generation.providers.input_fetch import InputFilesConfig
from atelier_generation.providers.remote_config import RemoteProviderConfig
from atelier_generation.providers.routing.config import (
    BreakerPolicy,
    ProviderLimits,
    RetryPolicy,
    RouterConfig,
)
from atelier_runtime.settings import ENV_PREFIX
from atelier_runtime.settings_types import HttpUrl

# The adapters that call a provider over the internet; each has the variables below.
REMOTE_ADAPTERS = ("replicate", "fal", "openai", "gemini", "music")
# The path a provider calls back on, under ATELIER_PUBLIC_URL (the edge's).
WEBHOOK_PATH = "/v1/webhooks/providers/{name}"


class ProviderSettings(BaseSettings):
    """Mixed into the generation settings; read with the same ATELIER_ prefix."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # The edge's public base URL (https://atelier.example); webhooks go to
    # <public>/v1/webhooks/providers/<name>. Unset: no webhooks, jobs are polled.
    public_url: HttpUrl | None = None

    # The providers' API roots, the version path included; a fake's in tests.
    provider_base_url_replicate: HttpUrl = "https://api.replicate.com/v1"
    provider_base_url_fal: HttpUrl = "https://queue.fal.run"
    provider_base_url_openai: HttpUrl = "https://api.openai.com/v1"
    provider_base_url_gemini: HttpUrl = "https://generativelanguage.googleapis.com/v1beta"
    provider_base_url_music: HttpUrl = "https://api.sunoapi.org"
    # A provider without a key is not configured: its models are listed but cannot run.
    provider_api_key_replicate: SecretStr | None = None
    provider_api_key_fal: SecretStr | None = None
    provider_api_key_openai: SecretStr | None = None
    provider_api_key_gemini: SecretStr | None = None
    provider_api_key_music: SecretStr | None = None
    provider_webhook_secret_replicate: SecretStr | None = None
    provider_webhook_secret_fal: SecretStr | None = None
    provider_webhook_secret_openai: SecretStr | None = None
    provider_webhook_secret_gemini: SecretStr | None = None
    provider_webhook_secret_music: SecretStr | None = None
    # Where fal publishes the keys its callbacks are signed with (a fake's in tests).
    provider_jwks_url_fal: HttpUrl = "https://rest.fal.ai/.well-known/jwks.json"
    # Where adapters of synchronous APIs (OpenAI images, Gemini images) journal each call and its
    # result, so a restart answers from the journal instead of paying again. One folder per
    # process; unset: a call in flight at a restart is lost (failed as the provider's, refunded).
    provider_journal_dir: Path | None = None
    # Origins besides our own file server that the OpenAI and Gemini adapters may read input
    # files from (they upload the file itself), comma-separated, e.g. the media bucket's public
    # URL: a URL in a request is the user's, so no other origin is ever read. Replicate, fal
    # and the music API read input URLs themselves and are not limited by this.
    provider_input_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # One input file's limit when an adapter reads it (OpenAI takes up to 50 MB an image,
    # Gemini 20 MB a whole request).
    provider_max_input_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=50 * 1024 * 1024)
    # One HTTP call's limit (a job's own deadline is its model's max duration).
    provider_request_timeout_s: float = Field(default=30.0, gt=0, le=600)

    # Jobs submitted and not yet ended, per provider, in this process.
    provider_max_concurrent_local: int = Field(default=64, ge=1, le=10_000)
    provider_max_concurrent_replicate: int = Field(default=16, ge=1, le=10_000)
    provider_max_concurrent_fal: int = Field(default=16, ge=1, le=10_000)
    provider_max_concurrent_openai: int = Field(default=16, ge=1, le=10_000)
    provider_max_concurrent_gemini: int = Field(default=16, ge=1, le=10_000)
    provider_max_concurrent_music: int = Field(default=16, ge=1, le=10_000)
    # Submits per second per provider in this process (0: unlimited), below the provider's own
    # limits (Replicate 600 creates a minute, the music API 20 per 10 s).
    provider_submits_per_s_local: float = Field(default=0.0, ge=0, le=10_000)
    provider_submits_per_s_replicate: float = Field(default=8.0, ge=0, le=10_000)
    provider_submits_per_s_fal: float = Field(default=8.0, ge=0, le=10_000)
    provider_submits_per_s_openai: float = Field(default=5.0, ge=0, le=10_000)
    provider_submits_per_s_gemini: float = Field(default=5.0, ge=0, le=10_000)
    provider_submits_per_s_music: float = Field(default=1.5, ge=0, le=10_000)

    # Submit retries on one provider, before its fallbacks.
    provider_retry_attempts: int = Field(default=3, ge=1, le=10)
    provider_retry_base_s: float = Field(default=1.0, ge=0, le=60)
    provider_retry_cap_s: float = Field(default=30.0, ge=0, le=600)
    # Cool-down: this many failures, and this share of the calls, within the window.
    provider_breaker_window_s: float = Field(default=60.0, gt=0, le=3600)
    provider_breaker_min_failures: int = Field(default=5, ge=1, le=10_000)
    provider_breaker_failure_ratio: float = Field(default=0.5, gt=0, le=1)
    provider_cooldown_s: float = Field(default=30.0, ge=0, le=3600)

    @field_validator("provider_input_origins", mode="before")
    @classmethod
    def _input_origins_listed(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("provider_input_origins")
    @classmethod
    def _input_origins_checked(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            if not origin.startswith(("http://", "https://")) or len(origin) > 300:
                raise ValueError(f"each origin must start with http:// or https://, got {origin!r}")
        return origins

    @model_validator(mode="after")
    def _music_calls_back(self) -> Self:
        # The music API takes no job without a callback URL.
        if self._secret("provider_api_key_music") and self.public_url is None:
            raise ValueError(
                "ATELIER_PUBLIC_URL must be set when ATELIER_PROVIDER_API_KEY_MUSIC is: "
                "the music API calls back on <public>/v1/webhooks/providers/music"
            )
        return self

    def remote_providers(self) -> list[RemoteProviderConfig]:
        """Every remote provider with a key, in a fixed order."""
        configs = []
        for name in REMOTE_ADAPTERS:
            key = self._secret(f"provider_api_key_{name}")
            if key is None:
                continue
            configs.append(
                RemoteProviderConfig(
                    name=name,
                    base_url=cast(str, getattr(self, f"provider_base_url_{name}")).rstrip("/"),
                    api_key=key,
                    webhook_url=self._webhook_url(name),
                    webhook_secret=self._secret(f"provider_webhook_secret_{name}"),
                    request_timeout_s=self.provider_request_timeout_s,
                )
            )
        return configs

    def input_files(self) -> InputFilesConfig:
        return InputFilesConfig(
            origins=self.provider_input_origins,
            max_bytes=self.provider_max_input_bytes,
            timeout_s=self.provider_request_timeout_s,
        )

    def router(self) -> RouterConfig:
        return RouterConfig(
            retry=RetryPolicy(
                self.provider_retry_attempts, self.provider_retry_base_s, self.provider_retry_cap_s
            ),
            breaker=BreakerPolicy(
                window_s=self.provider_breaker_window_s,
                min_failures=self.provider_breaker_min_failures,
                failure_ratio=self.provider_breaker_failure_ratio,
                cooldown_s=self.provider_cooldown_s,
            ),
            limits={name: self._limits(name) for name in ("local", *REMOTE_ADAPTERS)},
        )

    def _limits(self, name: str) -> ProviderLimits:
        rate = cast(float, getattr(self, f"provider_submits_per_s_{name}"))
        return ProviderLimits(
            max_concurrent=cast(int, getattr(self, f"provider_max_concurrent_{name}")),
            submits_per_s=rate,
            burst=max(1, round(rate)),
        )

    def _secret(self, field: str) -> str | None:
        value = cast(SecretStr | None, getattr(self, field))
        text = None if value is None else value.get_secret_value().strip()
        return text or None  # an empty variable is an unset one

    def _webhook_url(self, name: str) -> str | None:
        if self.public_url is None:
            return None
        return self.public_url.rstrip("/") + WEBHOOK_PATH.format(name=name)
