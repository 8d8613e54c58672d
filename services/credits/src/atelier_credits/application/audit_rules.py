"""The ledger's invariants as small checks on an account replayed event by event (pure)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import fields
from typing import Any, Final

from atelier_credits.domain import Balance, CreditAccount
from atelier_credits.domain.drawing import Bucket
from atelier_credits.domain.statement import RunningBalance

_OTHER_BUCKETS: Final[tuple[Bucket, ...]] = ("frozen", "consumed", "expired", "revoked")


class Rule(enum.StrEnum):
    """What an audit checks; the values appear in reports, so never rename them."""

    EVENT_APPLIES = "event_applies"
    AVAILABLE_NEVER_NEGATIVE = "available_never_negative"
    BUCKETS_NEVER_NEGATIVE = "buckets_never_negative"
    FREEZE_RESOLVED_AT_MOST_ONCE = "freeze_resolved_at_most_once"
    CONFIRMED_WITHIN_FROZEN = "confirmed_within_frozen"
    GRANTED_IDENTITY = "granted_identity"
    STATEMENT_MATCHES_REPLAY = "statement_matches_replay"
    BALANCE_PROJECTION = "balance_projection"
    STATEMENT_PROJECTION = "statement_projection"
    PROJECTION_ADVANCES = "projection_advances"


Finding = tuple[Rule, str]

# After these the replayed account no longer means anything: its audit stops there.
FATAL_RULES = frozenset({Rule.EVENT_APPLIES, Rule.FREEZE_RESOLVED_AT_MOST_ONCE})


SETTLEMENTS = {"Confirmed": "confirmed", "RolledBack": "rolled_back"}


def settlement_findings(
    account: CreditAccount | None, event: Any, resolved: Mapping[str, str]
) -> list[Finding]:
    """Checks a Confirmed or RolledBack against its freeze before it is applied.

    `resolved` maps the freezes settled earlier in the stream to how: a settled freeze leaves
    the account's live state, so only the audit, replaying everything, still knows them.
    """
    name = type(event).__name__
    if name not in SETTLEMENTS:
        return []
    if event.freeze_id in resolved:
        return [
            (
                Rule.FREEZE_RESOLVED_AT_MOST_ONCE,
                f"freeze {event.freeze_id!r} already {resolved[event.freeze_id]}, then {name}",
            )
        ]
    freeze = None if account is None else account.freezes.get(event.freeze_id)
    if freeze is None:
        return [(Rule.EVENT_APPLIES, f"{name} of unknown freeze {event.freeze_id!r}")]
    if name == "RolledBack":
        return []
    settled = sum(d["amount"] for d in event.consumed) + sum(d["amount"] for d in event.released)
    if event.amount > freeze["amount"] or settled != freeze["amount"]:
        detail = (
            f"freeze {event.freeze_id!r} of {freeze['amount']}: confirmed {event.amount}, "
            f"consumed plus released {settled}"
        )
        return [(Rule.CONFIRMED_WITHIN_FROZEN, detail)]
    return []


def state_findings(account: CreditAccount) -> list[Finding]:
    """Checks every grant's buckets and the account's identity after an event."""
    findings: list[Finding] = []
    for grant_id, grant in account.grants.items():
        if grant["available"] < 0:
            detail = f"grant {grant_id!r} available {grant['available']}"
            findings.append((Rule.AVAILABLE_NEVER_NEGATIVE, detail))
        negative = [f"{bucket} {grant[bucket]}" for bucket in _OTHER_BUCKETS if grant[bucket] < 0]
        if negative:
            detail = f"grant {grant_id!r}: " + ", ".join(negative)
            findings.append((Rule.BUCKETS_NEVER_NEGATIVE, detail))
    balance = account.balance()
    parts = balance.available + balance.frozen + balance.consumed + balance.expired
    if balance.granted != parts + balance.revoked:
        findings.append((Rule.GRANTED_IDENTITY, _identity_detail(balance)))
    return findings


def running_findings(account: CreditAccount, running: RunningBalance) -> list[Finding]:
    """The statement's running balance, derived from events alone, must equal the replay's."""
    balance = account.balance()
    if (running.available, running.frozen) == (balance.available, balance.frozen):
        return []
    detail = (
        f"statement says available {running.available}, frozen {running.frozen}; "
        f"replay says available {balance.available}, frozen {balance.frozen}"
    )
    return [(Rule.STATEMENT_MATCHES_REPLAY, detail)]


def differences(stored: Any, recomputed: Any) -> str:
    """`field: stored X, recomputed Y` for each field of two dataclasses that differs."""
    return "; ".join(
        f"{f.name}: stored {getattr(stored, f.name)!r}, recomputed {getattr(recomputed, f.name)!r}"
        for f in fields(recomputed)
        if getattr(stored, f.name) != getattr(recomputed, f.name)
    )


def _identity_detail(balance: Balance) -> str:
    return (
        f"granted {balance.granted} != available {balance.available} + frozen {balance.frozen}"
        f" + consumed {balance.consumed} + expired {balance.expired}"
        f" + revoked {balance.revoked}"
    )
