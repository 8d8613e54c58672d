"""Hostile input against the real credits service: nothing crashes, hangs or echoes, every refusal
names its field, input outside the documented bounds is refused, and the ledger stays sound."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg
import nats
from google.protobuf.duration_pb2 import Duration
from nats.js.errors import NotFoundError
from services.credits.tests.credits_service import fast_settings, serving_credits

from atelier.credits.v1 import credits_pb2, credits_pb2_grpc
from atelier_credits.adapters.audit_reader import audit_database
from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.domain import CreditAccount
from atelier_runtime.bus_names import BusNames
from atelier_runtime.grpc_client import channel
from atelier_runtime.service_auth import bearer_metadata, sign_service_token
from atelier_testing.grpc_fuzzer import Baseline, Case, Trait, assert_no_findings, fuzz_service
from atelier_testing.polling import eventually

if TYPE_CHECKING:
    Stub = credits_pb2_grpc.CreditsServiceAsyncStub

SERVICE = credits_pb2.DESCRIPTOR.services_by_name["CreditsService"].full_name
ACCOUNT = "acct-fuzz"  # each test has a database of its own
FUNDS = 1_000_000_000

# The documented bounds at the door: ids of at most 200 printable characters, text of at most
# 1,000, no NUL anywhere, timestamps in 1970-9999; a freeze's ttl must be a positive duration.
_ALWAYS_REFUSED = {
    Trait.NUL,
    Trait.LONG,
    Trait.TIME_OUT_OF_RANGE,
    Trait.TIME_BEFORE_1970,
    Trait.NANOS_OUT_OF_RANGE,
    Trait.DURATION_OUT_OF_RANGE,
    Trait.DURATION_NOT_POSITIVE,
}


def outside_the_documented_bounds(case: Case) -> bool:
    return case.trait in _ALWAYS_REFUSED or (
        case.trait is Trait.CONTROL and case.field.endswith("_id")
    )


class Baselines:
    """Valid requests on one funded account, each with a fresh id so no case collides with another."""

    def __init__(self, stub: Stub) -> None:
        self._stub = stub
        self._ids = itertools.count()

    def _id(self, kind: str) -> str:
        return f"{kind}-{next(self._ids)}"

    def grant(self) -> credits_pb2.GrantRequest:
        request = credits_pb2.GrantRequest(
            account_id=ACCOUNT, grant_id=self._id("grant"), amount=10, source="pack", priority=1
        )
        request.expires_at.FromDatetime(datetime.now(UTC) + timedelta(days=30))
        return request

    def freeze(self) -> credits_pb2.FreezeRequest:
        return credits_pb2.FreezeRequest(
            account_id=ACCOUNT,
            freeze_id=self._id("gen"),
            amount=1,
            reference="generation",
            ttl=Duration(seconds=600),
        )

    async def confirm(self) -> credits_pb2.ConfirmRequest:
        frozen = await self._stub.Freeze(self.freeze())
        return credits_pb2.ConfirmRequest(account_id=ACCOUNT, freeze_id=frozen.freeze_id, amount=1)

    async def rollback(self) -> credits_pb2.RollBackRequest:
        frozen = await self._stub.Freeze(self.freeze())
        return credits_pb2.RollBackRequest(
            account_id=ACCOUNT,
            freeze_id=frozen.freeze_id,
            reason=credits_pb2.ROLLBACK_REASON_FAILED,
        )

    def revoke(self) -> credits_pb2.RevokeRequest:
        return credits_pb2.RevokeRequest(
            account_id=ACCOUNT,
            revocation_id=self._id("refund"),
            amount=1,
            reason="refund",
            reference="ch_1",
        )

    def by_method(self) -> dict[str, Baseline]:
        return {
            f"{SERVICE}/Grant": self.grant,
            f"{SERVICE}/Freeze": self.freeze,
            f"{SERVICE}/Confirm": self.confirm,
            f"{SERVICE}/RollBack": self.rollback,
            f"{SERVICE}/Revoke": self.revoke,
            f"{SERVICE}/GetBalance": credits_pb2.GetBalanceRequest(account_id=ACCOUNT),
            f"{SERVICE}/ListStatement": credits_pb2.ListStatementRequest(
                account_id=ACCOUNT, page_size=10
            ),
        }


class LedgerChecks:
    """After the storm: the audit replays the log cleanly, and a new grant reaches both the
    statement and the bus (a poisoned projector or a wedged relay would stop either)."""

    def __init__(
        self, database_url: str, nats_url: str, bus_prefix: str, stub: Stub, baselines: Baselines
    ) -> None:
        self._database_url, self._nats_url = database_url, nats_url
        self._names = BusNames(bus_prefix)
        self._stub, self._baselines = stub, baselines

    async def __call__(self) -> None:
        await self._audit_is_clean()
        granted = await self._stub.Grant(self._baselines.grant())
        version = granted.balance.version
        stuck = [
            where
            for where, reached in (
                ("statement", self._statement_reached),
                ("bus", self._bus_reached),
            )
            if not await _within(reached, version)
        ]
        assert not stuck, f"a new grant never reached the {' nor the '.join(stuck)}"

    async def _audit_is_clean(self) -> None:
        conn = await asyncpg.connect(self._database_url)
        try:
            audit = await audit_database(conn, event_mapper())
        finally:
            await conn.close()
        assert audit.ok, f"the audit found {audit.violations[:5]}"

    async def _statement_reached(self, version: int) -> bool:
        request = credits_pb2.ListStatementRequest(account_id=ACCOUNT, page_size=1)
        page = await self._stub.ListStatement(request)
        return bool(page.lines) and page.lines[0].version >= version

    async def _bus_reached(self, version: int) -> bool:
        client = await nats.connect(self._nats_url)
        try:
            last = await client.jetstream().get_last_msg(
                self._names.stream("credits"), self._names.subject("credits", "granted")
            )
        except NotFoundError:
            return False
        finally:
            await client.close()
        expected = f"{CreditAccount.id_for(ACCOUNT)}:{version}"
        return last.headers is not None and last.headers.get("Nats-Msg-Id") == expected


async def _within(reached: Callable[[int], Awaitable[bool]], version: int) -> bool:
    try:
        await eventually(lambda: reached(version), within_s=10)
    except AssertionError:
        return False
    return True


async def test_hostile_input_is_refused_cleanly_and_the_ledger_stays_sound(
    database_url: str, nats_url: str, bus_prefix: str
) -> None:
    secret = secrets.token_hex(32)
    settings = fast_settings(database_url, nats_url, bus_prefix, jwt_secret=secret)
    # The admin methods are fuzzed past their guard, as an operator would call them.
    operator = sign_service_token(secret, role="operator", subject="fuzzer")
    async with serving_credits(settings) as address, channel(address) as opened:
        stub: Stub = credits_pb2_grpc.CreditsServiceStub(opened)  # type: ignore[assignment]
        await stub.Grant(
            credits_pb2.GrantRequest(account_id=ACCOUNT, grant_id="funding", amount=FUNDS)
        )
        baselines = Baselines(stub)

        # The service keeps gRPC's default 4 MB receive limit, the fuzzer's default too.
        report = await fuzz_service(
            address,
            baselines=baselines.by_method(),
            must_refuse=outside_the_documented_bounds,
            invariant=LedgerChecks(database_url, nats_url, bus_prefix, stub, baselines),
            metadata=bearer_metadata(operator),
        )

    assert_no_findings(report)
