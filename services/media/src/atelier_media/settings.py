"""The media service's configuration, read once from ATELIER_* variables."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from atelier_runtime.settings import DatabaseServiceSettings

_MIB = 1024 * 1024


class MediaSettings(DatabaseServiceSettings):
    """Shared settings plus the bucket, the browser path, the fallback and the URL-safety rules."""

    service_name: str = "media"
    # Verifies the service tokens of admin callers (dead letters); without it they are refused.
    jwt_secret: SecretStr | None = None
    s3_endpoint: str | None = None
    s3_bucket: str = "atelier-media"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    # Stored objects are served as this base + key (a CDN or custom domain) instead of presigned GETs.
    media_public_base_url: str | None = None
    # The web app's origins (comma-separated), allowed by the bucket's CORS rule to PUT and GET;
    # by default the edge's local address, which serves the web app in development.
    media_web_origin: str = "http://127.0.0.1:8080,http://localhost:8080"
    media_upload_url_ttl_s: int = Field(default=600, ge=1, le=7 * 86_400)
    media_download_url_ttl_s: int = Field(default=3_600, ge=1, le=7 * 86_400)
    media_max_bytes: int = Field(default=2 * 1024 * _MIB, ge=1)
    # The largest input file an account may upload for a generation to read.
    media_input_max_bytes: int = Field(default=20 * _MIB, ge=1)
    # The server transfer starts this long after the record, if the browser has not uploaded.
    media_fallback_delay_s: float = Field(default=60.0, ge=0)
    media_fallback_poll_s: float = Field(default=1.0, gt=0)
    media_fallback_workers: int = Field(default=2, ge=1, le=64)
    # Backoff between attempts while the provider URL is still valid.
    media_retry_base_s: float = Field(default=5.0, ge=0)
    media_max_attempts: int = Field(default=6, ge=1, le=100)
    # Whole-transfer deadline, well inside a provider URL's lifetime.
    media_transfer_deadline_s: float = Field(default=600.0, gt=0)
    media_part_bytes: int = Field(default=8 * _MIB, ge=5 * _MIB, le=5 * 1024 * _MIB)
    # Parts uploading at once per transfer; memory is about (this + 1) parts.
    media_parts_in_flight: int = Field(default=4, ge=1, le=16)
    # Comma-separated provider media hosts: `host`, `.suffix`, or `host:port` (development).
    media_source_hosts: str = "replicate.delivery,.replicate.delivery,v3.fal.media,.fal.media"
    # Development only: accept http:// and loopback sources (the local generation provider).
    media_allow_loopback_sources: bool = False
    # Days each plan's objects are kept; the free prefix also gets a bucket lifecycle rule.
    media_free_retention_days: int = Field(default=30, ge=1, le=36_500)
    media_paid_retention_days: int | None = Field(default=None, ge=1, le=36_500)
    media_sweep_interval_s: float = Field(default=300.0, gt=0)
    media_relay_poll_s: float = Field(default=0.2, gt=0)

    @field_validator("media_public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @property
    def source_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.media_source_hosts.split(",") if h.strip())

    @property
    def web_origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.media_web_origin.split(",") if o.strip()]

    @property
    def retention_by_plan(self) -> dict[str, int]:
        """Days each plan's objects are kept; a plan kept forever is absent."""
        kept = {"free": self.media_free_retention_days, "paid": self.media_paid_retention_days}
        return {plan: days for plan, days in kept.items() if days}

    def retention_days(self, plan: str) -> int | None:
        return self.media_paid_retention_days if plan == "paid" else self.media_free_retention_days
