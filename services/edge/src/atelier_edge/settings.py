"""The edge's configuration, read once from ATELIER_* variables."""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from atelier_runtime.grpc_targets import GrpcAddresses
from atelier_runtime.settings import ServiceSettings
from atelier_runtime.settings_types import PortNumber


class EdgeSettings(ServiceSettings):
    """Public HTTP listener plus the gRPC addresses of the four backend services.

    Each address is one host:port, a comma-separated list of replicas, or dns:///host:port.
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
    jwt_secret: SecretStr | None = None
    # The web app: Google sign-in with this OAuth client id, and/or development sign-in (any
    # account id, no password: `atelier up` turns it on, a deployment must not).
    google_client_id: str | None = Field(default=None, min_length=1, max_length=200)
    dev_login: bool = False

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
