"""Billing's settings: several webhook secrets, and values that stop the service at start."""

from __future__ import annotations

import pytest

from atelier_billing.settings import BillingSettings
from atelier_runtime.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    # Billing owns a database; without its URL nothing else would be checked.
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://billing@127.0.0.1:5432/billing")


def test_webhook_secrets_are_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_STRIPE_WEBHOOK_SECRET", "whsec_new, whsec_old")

    assert load_settings(BillingSettings).webhook_secrets == ("whsec_new", "whsec_old")


def test_no_secret_means_no_webhook_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATELIER_STRIPE_WEBHOOK_SECRET", "")

    assert load_settings(BillingSettings).webhook_secrets == ()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ATELIER_STRIPE_WEBHOOK_SECRET", "whsec_a,,whsec_b"),
        ("ATELIER_CREDITS_ADDR", "credits"),
        ("ATELIER_BILLING_GRACE_S", "-1"),
        ("ATELIER_BILLING_DELIVERY_WORKERS", "0"),
    ],
)
def test_a_bad_value_is_named(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as refused:
        load_settings(BillingSettings)

    assert refused.value.problems[0].startswith(variable)
    assert "whsec_a" not in str(refused.value)  # secrets are never echoed
