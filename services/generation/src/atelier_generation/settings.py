"""The generation service's configuration, read once from ATELIER_* variables."""

from __future__ import annotations

from atelier_runtime.settings import DatabaseServiceSettings


class GenerationSettings(DatabaseServiceSettings):
    """Shared service settings; generation-specific ones are added as the service grows."""

    service_name: str = "generation"
