"""`atelier billing replay|parked` against a running billing service found through ATELIER_HOME."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from services.billing.tests.billing_service import fast_settings, serving_billing
from services.billing.tests.stripe_fake import StripeFake

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier_cli.home import AtelierHome, PlatformRecord
from atelier_cli.main import main
from atelier_runtime.grpc_client import channel

JWT = "s" * 32


def write_home(path: Path, billing: str) -> None:
    """What `atelier up` leaves for the other commands: the addresses, and the services' secret."""
    home = AtelierHome(path)
    home.write_record(
        PlatformRecord(
            edge_url="http://127.0.0.1:8080",
            database_url="postgresql://postgres@127.0.0.1:5432/postgres",
            nats_url="nats://127.0.0.1:4222",
            s3_endpoint="http://127.0.0.1:9000",
            supervisor_pid=1,
            services={"billing": billing},
        )
    )
    (home.dir("secrets") / "jwt").write_text(JWT)


async def atelier(*argv: str) -> int:
    # The command owns its event loop, as it does when an operator runs it.
    return await asyncio.to_thread(main, ["billing", *argv])


async def test_replay_and_parked_from_the_command_line(
    database_url: str,
    nats_url: str,
    bus_prefix: str,
    credits_address: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stripe = StripeFake()
    refund = stripe.event(
        "refund.created", stripe.refund("re_cli", charge="ch_c", payment_intent="pi_c", amount=3)
    )
    settings = fast_settings(database_url, nats_url, bus_prefix, credits_address, jwt_secret=JWT)
    async with serving_billing(settings) as address, channel(address) as opened:
        stub = billing_pb2_grpc.BillingServiceStub(opened)
        await stub.HandleStripeWebhook(
            billing_pb2.HandleStripeWebhookRequest(body=refund.body, headers=refund.headers)
        )
        write_home(tmp_path, address)
        monkeypatch.setenv("ATELIER_HOME", str(tmp_path))

        assert await atelier("replay", "--wait", "20") == 0
        replayed = capsys.readouterr().out
        assert await atelier("parked", "--json") == 0
        [parked] = json.loads(capsys.readouterr().out)

    assert replayed.strip() == (
        "replayed 1 events: 0 processed, 1 parked, 0 ignored, 0 failed, 0 still pending"
    )
    assert (parked["event_id"], parked["state"]) == (refund.event_id, "parked")
    assert parked["waiting_for"] == ["charge:ch_c", "payment_intent:pi_c"]


async def test_a_home_signed_with_another_secret_cannot_replay(
    database_url: str,
    nats_url: str,
    bus_prefix: str,
    credits_address: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = "o" * 32
    settings = fast_settings(database_url, nats_url, bus_prefix, credits_address, jwt_secret=other)
    async with serving_billing(settings) as address:
        write_home(tmp_path, address)
        monkeypatch.setenv("ATELIER_HOME", str(tmp_path))

        assert await atelier("replay") == 2

    assert "UNAUTHENTICATED" in capsys.readouterr().err
