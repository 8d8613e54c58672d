"""The credits service's configuration, read once from ATELIER_* variables."""

from __future__ import annotations

from pydantic import Field, SecretStr

from atelier_runtime.settings import DatabaseServiceSettings


class CreditsSettings(DatabaseServiceSettings):
    """Shared settings plus the ledger's tuning knobs (defaults suit one 2-core node)."""

    service_name: str = "credits"
    # Verifies the service tokens of admin callers (audit, rebuild). Optional: without it the
    # ledger serves as usual and every admin call is refused.
    jwt_secret: SecretStr | None = None
    # Two commit loops: one commits while the other decides. More split the same traffic into
    # smaller batches, and CPU per command, not commit latency, is what limits one process
    # (measured with `atelier bench credits`).
    credits_shards: int = Field(default=2, ge=1, le=64)
    credits_max_batch: int = Field(default=512, ge=1)
    credits_cache_size: int = Field(default=100_000, ge=0)
    credits_snapshot_every: int = Field(default=200, ge=0)
    credits_sweep_interval_s: float = Field(default=5.0, gt=0)
    credits_relay_poll_s: float = Field(default=0.05, gt=0)
    credits_projector_poll_s: float = Field(default=0.2, gt=0)
    credits_lag_interval_s: float = Field(default=10.0, gt=0)
