"""POST /v1/webhooks/stripe on the edge: the raw delivery reaches billing, which verifies and
stores it; anything unverified is a 400 problem naming the field, and nothing is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from services.billing.tests.billing_service import fast_settings, serving_billing
from services.billing.tests.integration.conftest import (  # noqa: F401 - fixtures
    credits_address,
    credits_database_url,
)
from services.billing.tests.stripe_fake import StripeFake

from atelier_edge.http_api.app import create_app
from atelier_edge.settings import EdgeSettings
from atelier_localinfra import free_port
from atelier_runtime.db import DbPool


@pytest.fixture
async def edge(
    database_url: str,
    nats_url: str,
    bus_prefix: str,
    credits_address: str,  # noqa: F811
    new_database: Callable[[], Awaitable[str]],
) -> AsyncIterator[httpx.AsyncClient]:
    settings = fast_settings(database_url, nats_url, bus_prefix, credits_address)
    edge_database = await new_database()
    async with serving_billing(settings) as billing_address:
        app = create_app(
            EdgeSettings(
                billing_addr=billing_address,
                credits_addr=credits_address,
                database_url=edge_database,
            )
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
                yield client


async def stored(pool: DbPool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM stripe_events"))


async def test_a_signed_event_is_accepted_once_and_a_redelivery_is_a_duplicate(
    edge: httpx.AsyncClient, db_pool: DbPool
) -> None:
    event = StripeFake().event("customer.created", {"id": "cus_1", "object": "customer"})

    first = await edge.post("/v1/webhooks/stripe", content=event.body, headers=event.headers)
    again = await edge.post("/v1/webhooks/stripe", content=event.body, headers=event.headers)

    assert first.status_code == again.status_code == 200
    assert first.json() == {"received": True, "event_id": event.event_id, "duplicate": False}
    assert again.json()["duplicate"] is True
    assert await stored(db_pool) == 1


@pytest.mark.parametrize("damage", ["tampered body", "no signature", "foreign secret"])
async def test_an_unverified_delivery_is_a_400_problem_and_nothing_is_stored(
    edge: httpx.AsyncClient, db_pool: DbPool, damage: str
) -> None:
    stripe = (
        StripeFake(secrets=("whsec_someone_else",)) if damage == "foreign secret" else StripeFake()
    )
    event = stripe.event("invoice.paid", {"id": "in_1", "object": "invoice"})
    body = event.body.replace(b"in_1", b"in_2") if damage == "tampered body" else event.body
    headers = {} if damage == "no signature" else event.headers

    answer = await edge.post("/v1/webhooks/stripe", content=body, headers=headers)

    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith("/invalid-request")
    assert problem["errors"][0]["field"] in ("headers.stripe-signature", "body")
    assert await stored(db_pool) == 0


async def test_a_body_over_one_mebibyte_is_refused_before_billing_sees_it(
    edge: httpx.AsyncClient, db_pool: DbPool
) -> None:
    answer = await edge.post(
        "/v1/webhooks/stripe",
        content=b"{" + b" " * (1024 * 1024) + b"}",
        headers={"stripe-signature": "t=1,v1=00"},
    )

    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"field": "body", "problem": "at most 1048576 bytes"}]
    assert await stored(db_pool) == 0


async def test_an_unreachable_billing_is_a_503_problem_stripe_will_retry(
    new_database: Callable[[], Awaitable[str]],
) -> None:
    app = create_app(
        EdgeSettings(billing_addr=f"127.0.0.1:{free_port()}", database_url=await new_database())
    )
    event = StripeFake().event("customer.created", {"id": "cus_1"})
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
            answer = await client.post(
                "/v1/webhooks/stripe", content=event.body, headers=event.headers
            )

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["type"].endswith("/unavailable")
