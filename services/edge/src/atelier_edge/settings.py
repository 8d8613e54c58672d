"""The edge's configuration, read once from ATELIER_* variables."""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from atelier_runtime.grpc_targets import GrpcAddresses
from atelier_runtime.settings import DatabaseServiceSettings
from atelier_runtime.settings_types import HttpUrl, PortNumber


class EdgeSettings(DatabaseServiceSettings):
    """Public HTTP listener, the gRPC addresses of the four backend services, auth and limits.

    Each address is one host:port, a comma-separated list of replicas, or dns:///host:port.
    The database holds what only the edge knows: API keys (hashed) and idempotency records.
    """

    service_name: str = "edge"
    edge_host: str = "127.0.0.1"
    edge_port: PortNumber = 8080
    credits_addr: GrpcAddresses = "127.0.0.1:50051"
    generation_addr: GrpcAddresses = "127.0.0.1:50052"
    media_addr: GrpcAddresses = "127.0.0.1:50053"
    billing_addr: GrpcAddresses = "127.0.0.1:50054"
    readiness_timeout_s: float = Field(default=1.0, gt=0)
    # Named in /healthz and /readyz, so whoever started this edge (`atelier up`) can tell it
    # from another server answering on the same port.
    instance_id: str = Field(default_factory=lambda: secrets.token_hex(8), min_length=1)

    # Auth: HS256 tokens signed with the platform secret, and/or tokens checked against a JWKS.
    jwt_secret: SecretStr | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_url: HttpUrl | None = None
    # Least time between two fetches of the JWKS, so tokens with made-up key ids cannot make
    # the edge hammer the identity provider.
    jwks_refetch_floor_s: float = Field(default=30.0, ge=0, le=3600)
    # The web app: Google sign-in with this OAuth client id, and/or development sign-in (any
    # account id, no password: `atelier up` turns it on, a deployment must not).
    google_client_id: str | None = Field(default=None, min_length=1, max_length=200)
    dev_login: bool = False

    # Limits: a token bucket per account and process, a body cap, deadlines on slow clients.
    edge_rate_per_s: float = Field(default=20.0, gt=0, le=100_000)
    edge_rate_burst: int = Field(default=40, ge=1, le=1_000_000)
    edge_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    edge_body_read_timeout_s: float = Field(default=10.0, gt=0, le=300)
    edge_keep_alive_s: float = Field(default=5.0, gt=0, le=300)
    # Generation POSTs of one account this process answers at once; more get 429.
    edge_max_inflight_generations: int = Field(default=8, ge=1, le=10_000)
    # Deadline of each backend call; a submit waits for credits' freeze, so it gets longer.
    edge_upstream_timeout_s: float = Field(default=5.0, gt=0, le=120)
    edge_submit_timeout_s: float = Field(default=15.0, gt=0, le=300)
    # An idempotency record still in flight after this long belongs to a request that died.
    edge_idempotency_stale_s: float = Field(default=120.0, gt=0, le=86_400)

    @field_validator("jwks_url")
    @classmethod
    def _jwks_needs_issuer_and_audience(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Declared after the issuer and audience, so both are read already.
        if value and not (info.data.get("jwt_issuer") and info.data.get("jwt_audience")):
            raise ValueError(
                "needs ATELIER_JWT_ISSUER and ATELIER_JWT_AUDIENCE set too: tokens from a key "
                "set are accepted only for a known issuer and audience"
            )
        return value

    # The live progress streams (GET /v1/generations/{id}/events). A comment line this often
    # keeps idle streams open through proxies.
    edge_sse_heartbeat_s: float = Field(default=15.0, gt=0, le=3600)
    # Events waiting for one client; a client this far behind is cut (it resumes by its id).
    edge_sse_inbox_events: int = Field(default=64, ge=1, le=100_000)
    # The history resumes are served from: generations kept, events per generation, their age.
    edge_sse_history_generations: int = Field(default=10_000, ge=1, le=10_000_000)
    edge_sse_history_events: int = Field(default=64, ge=1, le=10_000)
    edge_sse_history_age_s: float = Field(default=600.0, gt=0, le=86_400)
    # How long a request waits for the feed to follow the bus before answering 503.
    edge_sse_ready_wait_s: float = Field(default=5.0, ge=0, le=60)

    @field_validator("dev_login")
    @classmethod
    def _dev_login_needs_a_secret(cls, value: bool, info: ValidationInfo) -> bool:
        # Declared after the secret, so it is read already.
        if value and info.data.get("jwt_secret") is None:
            raise ValueError("needs ATELIER_JWT_SECRET set too: it signs the development tokens")
        return value

    def backends(self) -> dict[str, str]:
        return {
            "credits": self.credits_addr,
            "generation": self.generation_addr,
            "media": self.media_addr,
            "billing": self.billing_addr,
        }
