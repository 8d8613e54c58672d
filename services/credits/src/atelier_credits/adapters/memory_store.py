"""An in-memory event store of credit accounts, for tests and single-process tools.

It keeps what a real store keeps, serialised events per stream, through the same mapper, so an
event that could not be stored in PostgreSQL cannot be stored here either.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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

from atelier_credits.application.ports import ConcurrencyConflict
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.replay import replay


def event_mapper() -> Mapper[UUID]:
    """eventsourcing's mapper with the transcodings its Application registers by default."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


class InMemoryAccountRepository:
    """Streams of stored events keyed by account id, appended with a version check."""

    def __init__(self) -> None:
        self._mapper = event_mapper()
        self._streams: dict[str, list[StoredEvent]] = {}

    async def get(self, account_id: str) -> CreditAccount | None:
        """A fresh copy of the account rebuilt from its stored events."""
        stream = self._streams.get(account_id)
        if not stream:
            return None
        return replay(self._mapper.to_domain_event(stored) for stored in stream)

    async def save(self, account: CreditAccount) -> None:
        """Appends the account's pending events if the stream is still where it was loaded."""
        pending = account.collect_events()
        if not pending:
            return
        stream = self._streams.get(account.account_id, [])
        expected_version = pending[0].originator_version - 1
        if len(stream) != expected_version:
            raise ConcurrencyConflict(
                account.account_id, expected_version=expected_version, stored_version=len(stream)
            )
        # No await between the check and the append: the check-and-append is atomic.
        stored = [self._mapper.to_stored_event(event) for event in pending]
        self._streams[account.account_id] = [*stream, *stored]

    async def get_many(self, account_ids: Iterable[str]) -> dict[str, CreditAccount]:
        """Fresh copies of the accounts that exist among `account_ids`."""
        found = {account_id: await self.get(account_id) for account_id in account_ids}
        return {account_id: account for account_id, account in found.items() if account is not None}

    async def save_many(self, accounts: Sequence[CreditAccount]) -> None:
        """Appends every account's pending events, or none of them if any stream moved on."""
        pending = [(account, account.collect_events()) for account in accounts]
        for account, events in pending:
            stream = self._streams.get(account.account_id, [])
            expected_version = events[0].originator_version - 1 if events else len(stream)
            if len(stream) != expected_version:
                raise ConcurrencyConflict(
                    account.account_id,
                    expected_version=expected_version,
                    stored_version=len(stream),
                )
        for account, events in pending:
            stored = [self._mapper.to_stored_event(event) for event in events]
            self._streams[account.account_id] = [
                *self._streams.get(account.account_id, []),
                *stored,
            ]

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
