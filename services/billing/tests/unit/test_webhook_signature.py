"""Stripe's signature, checked against headers made by the official `stripe` package."""

from __future__ import annotations

import pytest
import stripe
from services.billing.tests.stripe_fake import signature_header

from atelier_billing.domain.errors import SignatureRefused
from atelier_billing.domain.signature import TOLERANCE_S, verify_signature

NOW = 1_767_225_600
BODY = '{"id":"evt_1","type":"invoice.paid","data":{"object":{"id":"in_1"}}}'
OLD, NEW = "whsec_old", "whsec_new"


def reason_of(body: str, header: str | None, secrets: tuple[str, ...], now: int = NOW) -> str:
    with pytest.raises(SignatureRefused) as refused:
        verify_signature(body.encode(), header, secrets, now=now)
    assert refused.value.metadata["field"] == "headers.stripe-signature"
    return refused.value.reason


def test_a_header_made_by_stripe_is_accepted() -> None:
    header = stripe.WebhookSignature.generate_signature_header(BODY, NEW, timestamp=NOW)

    assert verify_signature(BODY.encode(), header, (NEW,), now=NOW) == NOW


def test_the_documented_check_value_holds() -> None:
    header = "t=1492774577,v1=baafeaeb930c747b10de5583efccb7a814811f218fc123c27d3cbc966d9cf67f"

    verify_signature(b'{"id":"evt_test_1"}', header, ("whsec_test",), now=1492774577)


def test_during_a_secret_roll_either_configured_secret_verifies() -> None:
    signed_with_old = signature_header(BODY, (OLD,), NOW)
    signed_with_both = signature_header(BODY, (OLD, NEW), NOW)

    verify_signature(BODY.encode(), signed_with_old, (NEW, OLD), now=NOW)
    verify_signature(BODY.encode(), signed_with_both, (NEW,), now=NOW)


def test_a_secret_no_longer_configured_is_refused() -> None:
    assert reason_of(BODY, signature_header(BODY, (OLD,), NOW), (NEW,)) == "SIGNATURE_MISMATCH"


def test_a_tampered_body_is_refused() -> None:
    header = signature_header(BODY, (NEW,), NOW)

    assert reason_of(BODY.replace("in_1", "in_2"), header, (NEW,)) == "SIGNATURE_MISMATCH"


@pytest.mark.parametrize("skew", [-TOLERANCE_S - 1, TOLERANCE_S + 1, -86_400, 86_400])
def test_old_and_future_timestamps_are_refused(skew: int) -> None:
    header = signature_header(BODY, (NEW,), NOW + skew)

    assert reason_of(BODY, header, (NEW,)) == "SIGNATURE_TIMESTAMP_OUT_OF_TOLERANCE"


@pytest.mark.parametrize("skew", [-TOLERANCE_S, 0, TOLERANCE_S])
def test_timestamps_within_the_tolerance_pass_both_ways(skew: int) -> None:
    verify_signature(BODY.encode(), signature_header(BODY, (NEW,), NOW + skew), (NEW,), now=NOW)


def test_v0_signatures_are_ignored() -> None:
    fake_v0 = f"t={NOW},v0=" + "0" * 64

    assert reason_of(BODY, fake_v0, (NEW,)) == "SIGNATURE_MALFORMED"
    verify_signature(BODY.encode(), f"{signature_header(BODY, (NEW,), NOW)},v0=00", (NEW,), now=NOW)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "SIGNATURE_MISSING"),
        ("", "SIGNATURE_MISSING"),
        ("v1=abc", "SIGNATURE_MALFORMED"),
        (f"t=soon,v1={'a' * 64}", "SIGNATURE_MALFORMED"),
        (f"t={NOW},t={NOW},v1={'a' * 64}", "SIGNATURE_MALFORMED"),
        (f"t={NOW}," + ",".join(["v1=" + "a" * 64] * 17), "SIGNATURE_MALFORMED"),
        ("t=1," + "x" * 5000, "SIGNATURE_MALFORMED"),
    ],
)
def test_malformed_headers_are_refused(header: str | None, reason: str) -> None:
    assert reason_of(BODY, header, (NEW,)) == reason
