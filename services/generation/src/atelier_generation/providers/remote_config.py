"""What every remote provider adapter is built from: where the provider is and how we sign in."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RemoteProviderConfig:
    """One remote provider's connection.

    `base_url` is the provider's API root (its real address by default, a fake's in tests or when
    an operator points ATELIER_PROVIDER_BASE_URL_<NAME> elsewhere). `webhook_url` is where the
    provider should call back (the edge's /v1/webhooks/providers/<name>), or None to rely on
    polling alone. `webhook_secret` verifies those callbacks where the provider signs them.
    """

    name: str
    base_url: str
    api_key: str = field(repr=False)
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    # One HTTP call's limit; a job's own deadline is the model's max duration.
    request_timeout_s: float = 30.0
