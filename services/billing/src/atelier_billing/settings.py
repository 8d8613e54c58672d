"""The billing service's configuration, read once from ATELIER_* variables."""

from __future__ import annotations

from atelier_runtime.settings import DatabaseServiceSettings


class BillingSettings(DatabaseServiceSettings):
    """Shared service settings; billing-specific ones are added as the service grows."""

    service_name: str = "billing"
