"""HandleStripeWebhook over gRPC: verified events are stored once and answered at once; anything
unverified is INVALID_ARGUMENT naming the field, and nothing is stored."""

from __future__ import annotations

import time

import grpc
import pytest
from google.rpc import error_details_pb2  # type: ignore[import-untyped]
from grpc_status import rpc_status
from services.billing.tests.billing_service import Platform, fast_settings, serving_billing
from services.billing.tests.stripe_fake import SECRET, SignedEvent, StripeFake, signature_header

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier_billing.domain.stripe_event import MAX_BODY_BYTES
from atelier_runtime.grpc_client import channel
from atelier_testing.polling import eventually


def field_of(error: grpc.aio.AioRpcError) -> str:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            return str(bad_request.field_violations[0].field)
    raise AssertionError("no BadRequest")


async def stored_events(platform: Platform) -> int:
    return int(await platform.pool.fetchval("SELECT count(*) FROM stripe_events"))


async def test_a_verified_event_is_stored_once_and_processed(platform: Platform) -> None:
    event = platform.stripe.event("customer.created", {"id": "cus_1", "object": "customer"})

    first, again = await platform.deliver(event, event)

    assert (first.event_id, first.type, first.duplicate) == (
        event.event_id,
        "customer.created",
        False,
    )
    assert again.duplicate
    assert await stored_events(platform) == 1
    await platform.settled()
    state = await platform.pool.fetchval("SELECT state FROM stripe_events")
    assert state == "ignored"  # a type billing does not act on: stored, then left alone


async def test_a_redelivery_with_a_fresh_signature_is_a_duplicate(platform: Platform) -> None:
    event = platform.stripe.event("customer.created", {"id": "cus_1"})
    resent = platform.stripe.signed(
        event.event_id, event.body.decode(), timestamp=int(time.time()) + 60
    )

    answers = await platform.deliver(event, resent)

    assert [a.duplicate for a in answers] == [False, True]


def _tampered(event: SignedEvent) -> SignedEvent:
    return SignedEvent(event.event_id, event.body.replace(b"cus_1", b"cus_2"), event.headers)


def _signed_at(event: SignedEvent, skew: int, secret: str = SECRET) -> SignedEvent:
    header = signature_header(event.body.decode(), (secret,), int(time.time()) + skew)
    return SignedEvent(event.event_id, event.body, {"stripe-signature": header})


@pytest.mark.parametrize(
    ("spoil", "field"),
    [
        (_tampered, "headers.stripe-signature"),
        (lambda e: _signed_at(e, -301), "headers.stripe-signature"),
        (lambda e: _signed_at(e, 301), "headers.stripe-signature"),
        (lambda e: _signed_at(e, 0, "whsec_other"), "headers.stripe-signature"),
        (lambda e: SignedEvent(e.event_id, e.body, {}), "headers.stripe-signature"),
        (
            lambda e: SignedEvent(e.event_id, e.body, {"Stripe-Signature": "t=1"}),
            "headers.stripe-signature",
        ),
    ],
    ids=["tampered", "stale", "future", "unknown-secret", "missing", "malformed"],
)
async def test_an_unverified_event_is_refused_and_not_stored(
    platform: Platform, spoil: object, field: str
) -> None:
    event = platform.stripe.event("customer.created", {"id": "cus_1"})

    refusal = await platform.refusal(spoil(event))  # type: ignore[operator]

    assert refusal.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(refusal) == field
    assert await stored_events(platform) == 0


async def test_a_body_over_one_mebibyte_is_refused_before_any_hashing(platform: Platform) -> None:
    body = '{"id":"evt_big","type":"customer.created","data":{"object":{"id":"x","pad":"'
    body += "x" * MAX_BODY_BYTES + '"}}}'
    event = platform.stripe.signed("evt_big", body)

    refusal = await platform.refusal(event)

    assert refusal.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(refusal) == "body"
    assert await stored_events(platform) == 0


async def test_header_names_are_matched_in_any_case(platform: Platform) -> None:
    event = platform.stripe.event("customer.created", {"id": "cus_1"})
    headers = {
        "STRIPE-SIGNATURE": event.headers["Stripe-Signature"],
        "Content-Type": "application/json",
    }

    answer = await platform.billing.HandleStripeWebhook(
        billing_pb2.HandleStripeWebhookRequest(body=event.body, headers=headers)
    )

    assert answer.event_id == event.event_id


async def test_the_older_method_takes_the_signature_header_alone(platform: Platform) -> None:
    event = platform.stripe.event("customer.created", {"id": "cus_1"})

    answer = await platform.billing.HandleStripeEvent(
        billing_pb2.HandleStripeEventRequest(
            payload=event.body, signature_header=event.headers["Stripe-Signature"]
        )
    )

    assert answer.event_id == event.event_id
    assert not answer.duplicate
    await eventually(lambda: _processed(platform), what="event settled")


async def _processed(platform: Platform) -> bool:
    return bool(await platform.pool.fetchval("SELECT state <> 'pending' FROM stripe_events"))


async def test_while_a_secret_is_rolled_both_verify(
    database_url: str, nats_url: str, bus_prefix: str, credits_address: str
) -> None:
    rolled = "whsec_old_one, whsec_new_one"
    settings = fast_settings(
        database_url, nats_url, bus_prefix, credits_address, stripe_webhook_secret=rolled
    )
    old, new, both, other = (
        StripeFake(secrets=secrets)
        for secrets in (
            ("whsec_old_one",),
            ("whsec_new_one",),
            ("whsec_new_one", "whsec_old_one"),
            ("whsec_someone_else",),
        )
    )
    async with serving_billing(settings) as address, channel(address) as opened:
        stub = billing_pb2_grpc.BillingServiceStub(opened)

        async def send(fake: StripeFake) -> grpc.StatusCode:
            event = fake.event("customer.created", {"id": fake.id("cus")})
            request = billing_pb2.HandleStripeWebhookRequest(body=event.body, headers=event.headers)
            try:
                await stub.HandleStripeWebhook(request)
            except grpc.aio.AioRpcError as error:
                return error.code()
            return grpc.StatusCode.OK

        codes = [await send(fake) for fake in (old, new, both, other)]

    assert codes == [grpc.StatusCode.OK] * 3 + [grpc.StatusCode.INVALID_ARGUMENT]
