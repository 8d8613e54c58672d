"""The billing service's configuration, read once from ATELIER_* variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from atelier_runtime.grpc_targets import GrpcAddresses
from atelier_runtime.settings import DatabaseServiceSettings


class BillingSettings(DatabaseServiceSettings):
    """Shared settings plus Stripe's secrets, the plans file and the workers' pace."""

    service_name: str = "billing"
    # Comma-separated: while a secret is rolled, Stripe signs with the old and the new one.
    # Optional, so the platform starts without Stripe; then every webhook is refused.
    stripe_webhook_secret: SecretStr | None = None
    # A YAML file replacing the plans shipped in the package.
    plans: Path | None = None
    credits_addr: GrpcAddresses = "127.0.0.1:50051"
    # Verifies the service tokens of admin callers (replay); without it they are refused.
    jwt_secret: SecretStr | None = None
    # Subscription credits stay usable this long past their period, for a renewal paid late.
    billing_grace_s: int = Field(default=3 * 86_400, ge=0, le=365 * 86_400)
    # Polling is the fallback: the workers are woken by PostgreSQL notifications at commit.
    billing_worker_poll_s: float = Field(default=1.0, gt=0)
    billing_delivery_workers: int = Field(default=2, ge=1, le=32)
    # An event whose processing keeps failing is marked failed after this many tries.
    billing_max_attempts: int = Field(default=8, ge=1, le=100)
    billing_relay_poll_s: float = Field(default=0.2, gt=0)

    @field_validator("stripe_webhook_secret")
    @classmethod
    def _every_secret_present(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None  # set but empty: the same as unset
        if value is not None and any(not s.strip() for s in value.get_secret_value().split(",")):
            raise ValueError("a comma-separated list of secrets must not have empty entries")
        return value

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        if self.stripe_webhook_secret is None:
            return ()
        return tuple(s.strip() for s in self.stripe_webhook_secret.get_secret_value().split(","))

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.billing_grace_s)
