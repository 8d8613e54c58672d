"""The edge's configuration, read once from ATELIER_* variables."""

from __future__ import annotations

import secrets

from pydantic import Field

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

    # The live progress streams (GET /v1/generations/{id}/events). A comment line this often keeps idle streams open through proxies.
    edge_sse_heartbeat_s: float = Field(default=15.0, gt=0, le=3600)
    # Events waiting for one client; a client this far behind is cut (it resumes by its id).
    edge_sse_inbox_events: int = Field(default=64, ge=1, le=100_000)
    # The history resumes are served from: generations kept, events per generation, their age.
    edge_sse_history_generations: int = Field(default=10_000, ge=1, le=10_000_000)
    edge_sse_history_events: int = Field(default=64, ge=1, le=10_000)
    edge_sse_history_age_s: float = Field(default=600.0, gt=0, le=86_400)
    # How long a request waits for the feed to follow the bus before answering 503.
    edge_sse_ready_wait_s: float = Field(default=5.0, ge=0, le=60)

    def backends(self) -> dict[str, str]:
        return {
            "credits": self.credits_addr,
            "generation": self.generation_addr,
            "media": self.media_addr,
            "billing": self.billing_addr,
        }
