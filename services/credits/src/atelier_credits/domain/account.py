"""The CreditAccount aggregate: one event stream per account id.

Every command validates its arguments, records the expiries due at `now` (see `expire_due`) so
no decision ever counts expired credits, then either answers an idempotent repeat from the
operation's receipt or records one new fact (plus any expiry that fact makes due).

The state holds only what can still change: grants with credits left and pending freezes. A
grant with nothing left and a resolved freeze leave it (their totals stay in `retired`), and
their receipts (see `history`) answer repeats, so an account's size and the cost of a command
depend on its live state, never on how long its history is.

The `@event` methods at the bottom only apply facts; they run both when a fact is recorded and
when the stream is replayed. Event class names and this module's path form the stored topics:
never rename them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from atelier_credits.domain import inputs, repeats, results
from atelier_credits.domain.drawing import (
    balance_after_expiries,
    expiring_remainders,
    move,
    spendable,
    split_confirmation,
    take,
    total_balance,
)
from atelier_credits.domain.errors import (
    ConfirmExceedsFrozen,
    FreezeAlreadyResolved,
    FreezeNotFound,
    InsufficientCredits,
)
from atelier_credits.domain.history import (
    NO_HISTORY,
    History,
    Kind,
    Receipt,
    ReceiptKey,
    receipt_of,
)
from atelier_credits.domain.records import (
    DrawRecord,
    FreezeRecord,
    GrantRecord,
    RetiredTotals,
    copy_draws,
)
from atelier_credits.domain.values import (
    Balance,
    ConfirmResult,
    FreezeResult,
    GrantResult,
    Resolution,
    RevokeResult,
    RollbackReason,
    RollbackResult,
)

ACCOUNT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:atelier:credits:account")
DEFAULT_FREEZE_TTL = timedelta(minutes=30)
# A freeze holds credits for one saga step; a week is far beyond any generation.
MAX_FREEZE_TTL = timedelta(days=7)


class CreditAccount(Aggregate):
    """One account's credits: grants drawn down by freezes that are confirmed or rolled back."""

    unsaved_receipts: dict[ReceiptKey, Receipt]

    @classmethod
    def id_for(cls, account_id: str) -> UUID:
        """The stream id of an account: stable, so every process finds the same stream."""
        return uuid5(ACCOUNT_NAMESPACE, account_id)

    @classmethod
    def create_id(cls, account_id: str) -> UUID:
        # The library derives the new aggregate's id from the Opened arguments through this.
        return cls.id_for(account_id)

    @classmethod
    def open(cls, account_id: str, now: datetime) -> CreditAccount:
        """Starts the stream of a new account."""
        return cls(
            account_id=inputs.identifier("account_id", account_id),
            timestamp=inputs.instant("now", now),
        )

    # Commands. `history` holds the saved receipts the caller fetched for the command's id.

    def grant(
        self,
        grant_id: str,
        amount: int,
        now: datetime,
        *,
        source: str = "",
        priority: int = 0,
        expires_at: datetime | None = None,
        reference: str = "",
        history: History = NO_HISTORY,
    ) -> GrantResult:
        """Adds credits; an already expired grant is recorded and expires at once."""
        inputs.identifier("grant_id", grant_id)
        now = inputs.instant("now", now)
        expires_at = inputs.optional_instant("expires_at", expires_at)
        arguments: dict[str, object] = {
            "amount": inputs.positive_amount("amount", amount),
            "source": inputs.text("source", source),
            "priority": inputs.whole_number("priority", priority),
            "expires_at": expires_at,
            "reference": inputs.text("reference", reference),
        }
        self.expire_due(now)
        if (existing := self.receipt((Kind.GRANT, grant_id), history)) is not None:
            repeats.ensure_same("grant", grant_id, repeats.grant_arguments(existing), arguments)
            return results.grant_result(grant_id, existing)
        self._granted(
            grant_id=grant_id,
            amount=amount,
            source=source,
            priority=priority,
            expires_at=expires_at,
            reference=reference,
            timestamp=now,
        )
        self.expire_grants(now)
        return results.grant_result(grant_id, arguments)

    def freeze(
        self,
        freeze_id: str,
        amount: int,
        now: datetime,
        *,
        reference: str = "",
        ttl: timedelta | None = None,
        history: History = NO_HISTORY,
    ) -> FreezeResult:
        """Reserves credits until confirmed, rolled back, or expired after `ttl` (30 min)."""
        inputs.identifier("freeze_id", freeze_id)
        now = inputs.instant("now", now)
        ttl = inputs.positive_ttl(
            "ttl", DEFAULT_FREEZE_TTL if ttl is None else ttl, longest=MAX_FREEZE_TTL
        )
        arguments: dict[str, object] = {
            "amount": inputs.positive_amount("amount", amount),
            "reference": inputs.text("reference", reference),
            "ttl": ttl,
        }
        self.expire_due(now)
        if (existing := self.receipt((Kind.FREEZE, freeze_id), history)) is not None:
            repeats.ensure_same("freeze", freeze_id, repeats.freeze_arguments(existing), arguments)
            return results.freeze_result(freeze_id, existing)
        available = spendable(self.grants, now)
        if available < amount:
            raise InsufficientCredits(requested=amount, available=available)
        self._frozen(
            freeze_id=freeze_id,
            amount=amount,
            reference=reference,
            expires_at=now + ttl,
            draws=take(self.grants, amount, now),
            timestamp=now,
        )
        return results.freeze_result(freeze_id, self.freezes[freeze_id])

    def confirm(
        self,
        freeze_id: str,
        now: datetime,
        amount: int | None = None,
        *,
        history: History = NO_HISTORY,
    ) -> ConfirmResult:
        """Consumes `amount` (default: all) of a freeze and releases the rest to its grants."""
        inputs.identifier("freeze_id", freeze_id)
        now = inputs.instant("now", now)
        if amount is not None:
            inputs.positive_amount("amount", amount)
        # Settling first means a freeze past its expiry is rolled back and can never be consumed.
        self.expire_due(now)
        frozen, resolution = self._freeze_and_resolution(freeze_id, history)
        wanted = frozen["amount"] if amount is None else amount
        if wanted > frozen["amount"]:
            raise ConfirmExceedsFrozen(freeze_id, requested=wanted, frozen=frozen["amount"])
        if resolution is None:
            consumed, released = split_confirmation(frozen["draws"], wanted)
            self._confirmed(
                freeze_id=freeze_id,
                amount=wanted,
                consumed=consumed,
                released=released,
                timestamp=now,
            )
            self.expire_grants(now)
            return ConfirmResult(freeze_id, confirmed=wanted, released=frozen["amount"] - wanted)
        if resolution["resolution"] == Resolution.ROLLED_BACK:
            raise FreezeAlreadyResolved(
                freeze_id, resolution=resolution["resolution"], reason=resolution["reason"]
            )
        original = {"amount": resolution["confirmed"]}
        repeats.ensure_same("confirm", freeze_id, original, {"amount": wanted})
        return results.confirm_result(freeze_id, resolution)

    def rollback(
        self, freeze_id: str, now: datetime, reason: str, *, history: History = NO_HISTORY
    ) -> RollbackResult:
        """Returns a freeze's credits to the grants they came from; repeats return the first result.

        The reason is informational: whichever rollback came first (possibly the expiry) wins.
        """
        inputs.identifier("freeze_id", freeze_id)
        now = inputs.instant("now", now)
        checked_reason = inputs.rollback_reason("reason", reason)
        self.expire_due(now)
        frozen, resolution = self._freeze_and_resolution(freeze_id, history)
        if resolution is None:
            self._rolled_back(
                freeze_id=freeze_id,
                amount=frozen["amount"],
                reason=checked_reason.value,
                timestamp=now,
            )
            self.expire_grants(now)
            return RollbackResult(freeze_id, released=frozen["amount"], reason=checked_reason.value)
        if resolution["resolution"] == Resolution.CONFIRMED:
            raise FreezeAlreadyResolved(freeze_id, resolution=resolution["resolution"], reason="")
        return results.rollback_result(freeze_id, resolution)

    def revoke(
        self,
        revocation_id: str,
        amount: int,
        now: datetime,
        *,
        reason: str = "",
        reference: str = "",
        history: History = NO_HISTORY,
    ) -> RevokeResult:
        """Claws back up to `amount` available credits, in draw order; records any shortfall."""
        inputs.identifier("revocation_id", revocation_id)
        now = inputs.instant("now", now)
        arguments: dict[str, object] = {
            "amount": inputs.positive_amount("amount", amount),
            "reason": inputs.text("reason", reason),
            "reference": inputs.text("reference", reference),
        }
        self.expire_due(now)
        if (existing := self.receipt((Kind.REVOCATION, revocation_id), history)) is not None:
            original = repeats.revocation_arguments(existing)
            repeats.ensure_same("revocation", revocation_id, original, arguments)
            return results.revoke_result(revocation_id, existing)
        draws = take(self.grants, min(amount, spendable(self.grants, now)), now)
        self._revoked(
            revocation_id=revocation_id,
            amount=amount,
            reason=reason,
            reference=reference,
            draws=draws,
            timestamp=now,
        )
        taken = sum(draw["amount"] for draw in draws)
        return RevokeResult(revocation_id, revoked=taken, shortfall=amount - taken)

    def expire_due(self, now: datetime) -> None:
        """Records every expiry due at `now`; freezes first, as they may return expired credits."""
        self.expire_freezes(now)
        self.expire_grants(now)

    def expire_freezes(self, now: datetime) -> None:
        """Rolls back, as expired, every unresolved freeze whose expiry has come."""
        now = inputs.instant("now", now)
        due = [freeze_id for freeze_id, f in self.freezes.items() if f["expires_at"] <= now]
        for freeze_id in due:
            self._rolled_back(
                freeze_id=freeze_id,
                amount=self.freezes[freeze_id]["amount"],
                reason=RollbackReason.EXPIRED.value,
                timestamp=now,
            )

    def expire_grants(self, now: datetime) -> None:
        """Records the unspent, unfrozen remainder of every grant past its expiry as expired."""
        now = inputs.instant("now", now)
        for remainder in expiring_remainders(self.grants, now):
            self._grant_expired(
                grant_id=remainder["grant_id"], amount=remainder["amount"], timestamp=now
            )

    # Queries

    def balance(self, now: datetime | None = None) -> Balance:
        """The recorded balance; given `now`, the balance once the expiries due by then apply."""
        if now is None:
            return total_balance(self.grants.values(), self.retired)
        now = inputs.instant("now", now)
        return balance_after_expiries(self.grants, self.freezes, self.retired, now)

    def next_expiry(self, now: datetime) -> datetime | None:
        """When a sweep next has work: `now` if something is due; None if nothing can expire."""
        now = inputs.instant("now", now)
        candidates = [freeze["expires_at"] for freeze in self.freezes.values()]
        candidates += [
            grant["expires_at"]
            for grant in self.grants.values()
            if grant["expires_at"] is not None and grant["available"] > 0
        ]
        return max(min(candidates), now) if candidates else None

    def receipt(self, key: ReceiptKey, history: History = NO_HISTORY) -> Receipt | None:
        """The receipt of an operation: recorded since the last save, or saved (in `history`)."""
        return self.unsaved_receipts.get(key) or history.get(key)

    def take_unsaved_receipts(self) -> dict[ReceiptKey, Receipt]:
        """Hands over the receipts recorded since the last call, for the store to save with the
        events; before a snapshot, so snapshots hold live state only."""
        taken: dict[ReceiptKey, Receipt] = self.unsaved_receipts
        self.unsaved_receipts = {}
        return taken

    def _freeze_and_resolution(
        self, freeze_id: str, history: History
    ) -> tuple[FreezeRecord | Receipt, Receipt | None]:
        if (pending := self.freezes.get(freeze_id)) is not None:
            return pending, None
        frozen = self.receipt((Kind.FREEZE, freeze_id), history)
        resolution = self.receipt((Kind.RESOLUTION, freeze_id), history)
        if frozen is None or resolution is None:
            raise FreezeNotFound(freeze_id)
        return frozen, resolution

    def _remember(self, recorded: Any) -> None:
        receipt = receipt_of(recorded)
        if receipt is not None:
            key, body = receipt
            self.unsaved_receipts[key] = body

    def _retire_spent(self, grant_ids: list[str]) -> None:
        """Grants with nothing available or frozen can never change again: keep their totals."""
        for grant_id in dict.fromkeys(grant_ids):
            grant = self.grants.get(grant_id)
            if grant is not None and grant["available"] == 0 and grant["frozen"] == 0:
                for bucket in ("consumed", "expired", "revoked"):
                    self.retired[bucket] += grant[bucket]  # type: ignore[literal-required]
                self.retired["granted"] += grant["amount"]
                del self.grants[grant_id]

    def trigger_event(self, *args: Any, **kwargs: Any) -> None:
        # Every fact recorded (not replayed) leaves its receipt for the store to save.
        super().trigger_event(*args, **kwargs)
        self._remember(self.pending_events[-1])

    # Facts: each applies one recorded event, on record and on replay.

    @event("Opened")
    def __init__(self, account_id: str, timestamp: datetime) -> None:
        self.account_id = account_id
        self.grants: dict[str, GrantRecord] = {}
        self.freezes: dict[str, FreezeRecord] = {}
        self.retired = RetiredTotals(granted=0, consumed=0, expired=0, revoked=0)
        self.grants_recorded = 0
        self.unsaved_receipts = {}

    @event("Granted")
    def _granted(
        self,
        grant_id: str,
        amount: int,
        source: str,
        priority: int,
        expires_at: datetime | None,
        timestamp: datetime,
        reference: str = "",
    ) -> None:
        self.grants[grant_id] = GrantRecord(
            seq=self.grants_recorded,
            amount=amount,
            source=source,
            priority=priority,
            expires_at=expires_at,
            reference=reference,
            available=amount,
            frozen=0,
            consumed=0,
            expired=0,
            revoked=0,
        )
        self.grants_recorded += 1

    @event("Frozen")
    def _frozen(
        self,
        freeze_id: str,
        amount: int,
        reference: str,
        expires_at: datetime,
        draws: list[DrawRecord],
        timestamp: datetime,
    ) -> None:
        move(self.grants, draws, "available", "frozen")
        self.freezes[freeze_id] = FreezeRecord(
            amount=amount,
            reference=reference,
            frozen_at=timestamp,
            expires_at=expires_at,
            draws=copy_draws(draws),
        )

    @event("Confirmed")
    def _confirmed(
        self,
        freeze_id: str,
        amount: int,
        consumed: list[DrawRecord],
        released: list[DrawRecord],
        timestamp: datetime,
    ) -> None:
        del self.freezes[freeze_id]
        touched = move(self.grants, consumed, "frozen", "consumed")
        touched += move(self.grants, released, "frozen", "available")
        self._retire_spent(touched)

    @event("RolledBack")
    def _rolled_back(self, freeze_id: str, amount: int, reason: str, timestamp: datetime) -> None:
        # `amount` (the whole freeze) makes the fact readable alone, e.g. by the statement.
        freeze = self.freezes.pop(freeze_id)
        move(self.grants, freeze["draws"], "frozen", "available")

    @event("GrantExpired")
    def _grant_expired(self, grant_id: str, amount: int, timestamp: datetime) -> None:
        draws = [DrawRecord(grant_id=grant_id, amount=amount)]
        self._retire_spent(move(self.grants, draws, "available", "expired"))

    @event("Revoked")
    def _revoked(
        self,
        revocation_id: str,
        amount: int,
        reason: str,
        reference: str,
        draws: list[DrawRecord],
        timestamp: datetime,
    ) -> None:
        self._retire_spent(move(self.grants, draws, "available", "revoked"))
