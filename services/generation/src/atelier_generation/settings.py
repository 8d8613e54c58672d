"""The generation service's configuration, read once from ATELIER_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from atelier_generation.application.saga_config import SagaConfig
from atelier_generation.provider_settings import ProviderSettings
from atelier_generation.providers.completion import PollSchedule
from atelier_generation.providers.local.running import LocalProviderConfig
from atelier_runtime.grpc_targets import GrpcAddresses
from atelier_runtime.settings import DatabaseServiceSettings
from atelier_runtime.settings_types import PortOrAny


class GenerationSettings(DatabaseServiceSettings, ProviderSettings):
    """Shared settings, the catalogue's file, the built-in local provider's knobs, and the
    remote providers and the router (ProviderSettings)."""

    service_name: str = "generation"
    # A catalogue to use instead of the one shipped in the package (ATELIER_CATALOG).
    catalog: Path | None = None
    # The local provider's total staged time (queued, then running) before it renders; 0 in tests.
    local_provider_latency_s: float = Field(default=2.5, ge=0, le=600)
    # How long its output URLs work, like a provider's CDN links.
    local_provider_url_ttl_s: float = Field(default=3600.0, gt=0, le=7 * 24 * 3600)
    local_provider_host: str = "127.0.0.1"
    local_provider_port: PortOrAny = 0
    # Where its files live; by default a temporary folder removed at stop.
    local_provider_dir: Path | None = None
    # Its folder's limit: the oldest files go first past it (a pod's /tmp is small).
    local_provider_max_bytes: int = Field(default=40 * 1024 * 1024, ge=1024 * 1024)
    # Origins besides its own that it may read input files from, comma-separated, e.g. the
    # media bucket's public URL: it runs inside our network, so it reads no URL a user chooses.
    local_provider_input_origins: Annotated[tuple[str, ...], NoDecode] = ()

    credits_addr: GrpcAddresses = "127.0.0.1:50051"
    # The saga: jobs of one account running at once (the rest wait queued), concurrent drivers
    # per process, a driver's lease, how often idle drivers look for work, and how long a
    # freeze outlives the model's deadline.
    generation_max_running_per_account: int = Field(default=4, ge=1, le=1000)
    generation_workers: int = Field(default=32, ge=1, le=256)
    generation_lease_s: float = Field(default=30.0, ge=0.3, le=3600)
    generation_poll_s: float = Field(default=0.5, gt=0, le=60)
    generation_freeze_margin_s: float = Field(default=600.0, ge=0, le=86_400)
    generation_relay_poll_s: float = Field(default=0.2, gt=0, le=60)
    # The first poll of a provider job after its submit; later polls back off to 5 s.
    generation_provider_poll_first_s: float = Field(default=0.25, gt=0, le=60)
    # Plans whose queued generations are claimed first, in this order (billing's plan ids,
    # comma-separated); every other plan, "free" included, comes after them, oldest first.
    generation_plan_priority: Annotated[tuple[str, ...], NoDecode] = ("pro", "standard", "basic")

    @field_validator("local_provider_input_origins", "generation_plan_priority", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("local_provider_input_origins")
    @classmethod
    def _origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            if not origin.startswith(("http://", "https://")):
                raise ValueError(f"each origin must start with http:// or https://, got {origin!r}")
        return origins

    @field_validator("generation_plan_priority")
    @classmethod
    def _plans(cls, plans: tuple[str, ...]) -> tuple[str, ...]:
        for plan in plans:
            if len(plan) > 64 or not plan.isprintable():
                raise ValueError(
                    f"each plan id must be at most 64 printable characters, got {plan!r}"
                )
        if len(set(plans)) != len(plans):
            raise ValueError("a plan is listed twice")
        return plans

    def local_provider(self) -> LocalProviderConfig:
        return LocalProviderConfig(
            latency_s=self.local_provider_latency_s,
            url_ttl_s=self.local_provider_url_ttl_s,
            host=self.local_provider_host,
            port=self.local_provider_port,
            folder=self.local_provider_dir,
            max_bytes=self.local_provider_max_bytes,
            input_origins=self.local_provider_input_origins,
        )

    def saga(self) -> SagaConfig:
        return SagaConfig(
            max_running_per_account=self.generation_max_running_per_account,
            lease_s=self.generation_lease_s,
            freeze_margin_s=self.generation_freeze_margin_s,
            poll_schedule=PollSchedule(first_s=self.generation_provider_poll_first_s),
            plan_priority=self.generation_plan_priority,
        )
