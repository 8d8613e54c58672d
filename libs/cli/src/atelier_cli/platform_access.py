"""Where the operator commands find a running platform's services and databases."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from atelier_cli.home import PlatformRecord
from atelier_cli.platform_spec import ServiceSpec

CREDITS = ServiceSpec("credits")


def credits_database_url(record: PlatformRecord) -> str:
    """The credits service's own database on the platform's PostgreSQL server.

    The record holds the server's maintenance URL (ending in /postgres); each service owns a
    database named after it on that same server.
    """
    parts = urlsplit(record.database_url)
    return urlunsplit(parts._replace(path=f"/{CREDITS.database}"))
