"""An in-memory event store of credit accounts, for tests and single-process tools.

It keeps what a real store keeps, serialised events per stream, through the same mapper, so an
event that could not be stored in PostgreSQL cannot be stored here either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from atelier_credits.application.ports import (
    NO_TRACES,
    ConcurrencyConflict,
    Current,
    TraceContexts,
)
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.history import ReceiptKey
from atelier_credits.domain.replay import replay


def event_mapper() -> Mapper[UUID]:
    """eventsourcing's mapper with the transcodings its Application registers by default."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


class InMemoryAccountStore:
    """Streams of stored events and receipts keyed by account id, appended with a version check."""

    def __init__(self) -> None:
        self._mapper = event_mapper()
        self._streams: dict[str, list[StoredEvent]] = {}
        self._receipts: dict[str, dict[ReceiptKey, bytes]] = {}

    async def get(self, account_id: str) -> CreditAccount | None:
        """A fresh copy of the account rebuilt from its stored events."""
        stream = self._streams.get(account_id)
        if not stream:
            return None
        return replay(self._mapper.to_domain_event(stored) for stored in stream)

    async def current(
        self,
        known: Mapping[str, CreditAccount | None],
        receipt_keys: Mapping[str, Sequence[ReceiptKey]],
    ) -> dict[str, Current]:
        """Fresh copies (held copies are not reused here) and the saved receipts asked for."""
        return {
            account_id: Current(
                await self.get(account_id),
                {
                    key: self._mapper.transcoder.decode(body)
                    for key in receipt_keys.get(account_id, ())
                    if (body := self._receipts.get(account_id, {}).get(key)) is not None
                },
            )
            for account_id in known
        }

    async def save(self, account: CreditAccount) -> None:
        await self.save_many([account])

    async def save_many(
        self, accounts: Sequence[CreditAccount], trace_contexts: TraceContexts = NO_TRACES
    ) -> None:
        """Appends every account's pending events and receipts, or nothing if any stream moved
        on or any receipt exists already."""
        pending = [(account, list(account.pending_events)) for account in accounts]
        for account, events in pending:
            stream = self._streams.get(account.account_id, [])
            expected_version = events[0].originator_version - 1 if events else len(stream)
            saved = self._receipts.get(account.account_id, {})
            if len(stream) != expected_version or saved.keys() & account.unsaved_receipts.keys():
                raise ConcurrencyConflict(
                    account.account_id,
                    expected_version=expected_version,
                    stored_version=len(stream),
                )
        # No await between the checks and the appends: check-and-append is atomic.
        for account, events in pending:
            stored = [self._mapper.to_stored_event(event) for event in events]
            self._streams[account.account_id] = [
                *self._streams.get(account.account_id, []),
                *stored,
            ]
            self._receipts.setdefault(account.account_id, {}).update(
                (key, self._mapper.transcoder.encode(body))
                for key, body in account.take_unsaved_receipts().items()
            )
            account.collect_events()

    async def list_accounts_with_due_expiries(self, now: datetime) -> list[str]:
        """Accounts whose next expiry is at or before `now`."""
        due = []
        for account_id in self._streams:
            account = await self.get(account_id)
            expiry = None if account is None else account.next_expiry(now)
            if expiry is not None and expiry <= now:
                due.append(account_id)
        return due

    def stored_events(self, account_id: str) -> list[StoredEvent]:
        """The account's stream as stored (for tests and audits)."""
        return list(self._streams.get(account_id, []))
