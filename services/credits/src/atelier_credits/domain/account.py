"""The CreditAccount aggregate: one event stream per account id.

Every command validates its arguments, records the expiries due at `now` (see `expire_due`) so
no decision ever counts expired credits, then either returns the recorded result of an idempotent
repeat or records one new fact (plus any expiry that fact makes due). The `@event` methods at
the bottom only apply facts; they run both when a fact is recorded and when the stream is
replayed. Event class names and this module's path form the stored topics: never rename them.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from atelier_credits.domain import inputs, receipts, repeats
from atelier_credits.domain.drawing import (
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
from atelier_credits.domain.records import (
    DrawRecord,
    FreezeRecord,
    GrantRecord,
    RevocationRecord,
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

    # Commands

    def grant(
        self,
        grant_id: str,
        amount: int,
        now: datetime,
        *,
        source: str = "",
        priority: int = 0,
        expires_at: datetime | None = None,
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
        }
        self.expire_due(now)
        if (existing := self.grants.get(grant_id)) is not None:
            repeats.ensure_same("grant", grant_id, repeats.grant_arguments(existing), arguments)
            return receipts.grant_result(grant_id, existing)
        self._granted(
            grant_id=grant_id,
            amount=amount,
            source=source,
            priority=priority,
            expires_at=expires_at,
            timestamp=now,
        )
        self.expire_grants(now)
        return receipts.grant_result(grant_id, self.grants[grant_id])

    def freeze(
        self,
        freeze_id: str,
        amount: int,
        now: datetime,
        *,
        reference: str = "",
        ttl: timedelta | None = None,
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
        if (existing := self.freezes.get(freeze_id)) is not None:
            repeats.ensure_same("freeze", freeze_id, repeats.freeze_arguments(existing), arguments)
            return receipts.freeze_result(freeze_id, existing)
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
        return receipts.freeze_result(freeze_id, self.freezes[freeze_id])

    def confirm(self, freeze_id: str, now: datetime, amount: int | None = None) -> ConfirmResult:
        """Consumes `amount` (default: all) of a freeze and releases the rest to its grants."""
        inputs.identifier("freeze_id", freeze_id)
        now = inputs.instant("now", now)
        if amount is not None:
            inputs.positive_amount("amount", amount)
        # Settling first means a freeze past its expiry is rolled back and can never be consumed.
        self.expire_due(now)
        freeze = self._recorded_freeze(freeze_id)
        wanted = freeze["amount"] if amount is None else amount
        if wanted > freeze["amount"]:
            raise ConfirmExceedsFrozen(freeze_id, requested=wanted, frozen=freeze["amount"])
        if freeze["resolution"] == Resolution.CONFIRMED:
            original = {"amount": freeze["confirmed"]}
            repeats.ensure_same("confirm", freeze_id, original, {"amount": wanted})
            return receipts.confirm_result(freeze_id, freeze)
        if freeze["resolution"] == Resolution.ROLLED_BACK:
            raise FreezeAlreadyResolved(
                freeze_id, resolution=freeze["resolution"], reason=freeze["reason"]
            )
        consumed, released = split_confirmation(freeze["draws"], wanted)
        self._confirmed(
            freeze_id=freeze_id, amount=wanted, consumed=consumed, released=released, timestamp=now
        )
        self.expire_grants(now)
        return receipts.confirm_result(freeze_id, freeze)

    def rollback(self, freeze_id: str, now: datetime, reason: str) -> RollbackResult:
        """Returns a freeze's credits to the grants they came from; repeats return the first result.

        The reason is informational: whichever rollback came first (possibly the expiry) wins.
        """
        inputs.identifier("freeze_id", freeze_id)
        now = inputs.instant("now", now)
        checked_reason = inputs.rollback_reason("reason", reason)
        self.expire_due(now)
        freeze = self._recorded_freeze(freeze_id)
        if freeze["resolution"] == Resolution.CONFIRMED:
            raise FreezeAlreadyResolved(freeze_id, resolution=freeze["resolution"], reason="")
        if freeze["resolution"] == Resolution.PENDING:
            self._rolled_back(
                freeze_id=freeze_id,
                amount=freeze["amount"],
                reason=checked_reason.value,
                timestamp=now,
            )
            self.expire_grants(now)
        return receipts.rollback_result(freeze_id, freeze)

    def revoke(
        self,
        revocation_id: str,
        amount: int,
        now: datetime,
        *,
        reason: str = "",
        reference: str = "",
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
        if (existing := self.revocations.get(revocation_id)) is not None:
            original = repeats.revocation_arguments(existing)
            repeats.ensure_same("revocation", revocation_id, original, arguments)
            return receipts.revoke_result(revocation_id, existing)
        self._revoked(
            revocation_id=revocation_id,
            amount=amount,
            reason=reason,
            reference=reference,
            draws=take(self.grants, min(amount, spendable(self.grants, now)), now),
            timestamp=now,
        )
        return receipts.revoke_result(revocation_id, self.revocations[revocation_id])

    def expire_due(self, now: datetime) -> None:
        """Records every expiry due at `now`; freezes first, as they may return expired credits."""
        self.expire_freezes(now)
        self.expire_grants(now)

    def expire_freezes(self, now: datetime) -> None:
        """Rolls back, as expired, every unresolved freeze whose expiry has come."""
        now = inputs.instant("now", now)
        due = [freeze_id for freeze_id, at in self.pending_freezes.items() if at <= now]
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
        if now is None or not self._has_due_expiries(now):
            return total_balance(self.grants.values())
        preview = copy.deepcopy(self)
        preview.expire_due(now)
        return total_balance(preview.grants.values())

    def next_expiry(self, now: datetime) -> datetime | None:
        """When a sweep next has work: `now` if something is due; None if nothing can expire."""
        now = inputs.instant("now", now)
        candidates = list(self.pending_freezes.values())
        candidates += [
            grant["expires_at"]
            for grant in self.grants.values()
            if grant["expires_at"] is not None and grant["available"] > 0
        ]
        return max(min(candidates), now) if candidates else None

    def _has_due_expiries(self, now: datetime) -> bool:
        expiry = self.next_expiry(now)
        return expiry is not None and expiry <= now

    def _recorded_freeze(self, freeze_id: str) -> FreezeRecord:
        try:
            return self.freezes[freeze_id]
        except KeyError:
            raise FreezeNotFound(freeze_id) from None

    # Facts: each applies one recorded event, on record and on replay.

    @event("Opened")
    def __init__(self, account_id: str, timestamp: datetime) -> None:
        self.account_id = account_id
        self.grants: dict[str, GrantRecord] = {}
        self.freezes: dict[str, FreezeRecord] = {}
        # Unresolved freezes by expiry, so settling never scans the account's whole history.
        self.pending_freezes: dict[str, datetime] = {}
        self.revocations: dict[str, RevocationRecord] = {}

    @event("Granted")
    def _granted(
        self,
        grant_id: str,
        amount: int,
        source: str,
        priority: int,
        expires_at: datetime | None,
        timestamp: datetime,
    ) -> None:
        self.grants[grant_id] = GrantRecord(
            seq=len(self.grants),
            amount=amount,
            source=source,
            priority=priority,
            expires_at=expires_at,
            available=amount,
            frozen=0,
            consumed=0,
            expired=0,
            revoked=0,
        )

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
            resolution=Resolution.PENDING.value,
            confirmed=0,
            released=0,
            reason="",
        )
        self.pending_freezes[freeze_id] = expires_at

    @event("Confirmed")
    def _confirmed(
        self,
        freeze_id: str,
        amount: int,
        consumed: list[DrawRecord],
        released: list[DrawRecord],
        timestamp: datetime,
    ) -> None:
        move(self.grants, consumed, "frozen", "consumed")
        move(self.grants, released, "frozen", "available")
        freeze = self.freezes[freeze_id]
        freeze["resolution"] = Resolution.CONFIRMED.value
        freeze["confirmed"] = amount
        freeze["released"] = freeze["amount"] - amount
        del self.pending_freezes[freeze_id]

    @event("RolledBack")
    def _rolled_back(self, freeze_id: str, amount: int, reason: str, timestamp: datetime) -> None:
        # `amount` (the whole freeze) makes the fact readable alone, e.g. by the statement.
        freeze = self.freezes[freeze_id]
        move(self.grants, freeze["draws"], "frozen", "available")
        freeze["resolution"] = Resolution.ROLLED_BACK.value
        freeze["released"] = freeze["amount"]
        freeze["reason"] = reason
        del self.pending_freezes[freeze_id]

    @event("GrantExpired")
    def _grant_expired(self, grant_id: str, amount: int, timestamp: datetime) -> None:
        move(self.grants, [DrawRecord(grant_id=grant_id, amount=amount)], "available", "expired")

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
        move(self.grants, draws, "available", "revoked")
        self.revocations[revocation_id] = RevocationRecord(
            amount=amount,
            reason=reason,
            reference=reference,
            revoked=sum(draw["amount"] for draw in draws),
            draws=copy_draws(draws),
        )
