"""The media service's configuration, read once from ATELIER_* variables."""

from __future__ import annotations

from atelier_runtime.settings import DatabaseServiceSettings


class MediaSettings(DatabaseServiceSettings):
    """Shared service settings; media-specific ones are added as the service grows."""

    service_name: str = "media"
