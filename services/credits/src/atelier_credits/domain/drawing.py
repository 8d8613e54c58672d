"""Pure rules for which grants credits come from and go back to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Literal

from atelier_credits.domain.records import DrawRecord, FreezeRecord, GrantRecord, RetiredTotals
from atelier_credits.domain.values import Balance

_NEVER = datetime.max.replace(tzinfo=UTC)

Bucket = Literal["available", "frozen", "consumed", "expired", "revoked"]


def draw_order_key(grant: GrantRecord) -> tuple[int, bool, datetime, int]:
    """Higher priority first, then earliest expiry (never-expiring last), then grant order."""
    expires_at = grant["expires_at"]
    return (-grant["priority"], expires_at is None, expires_at or _NEVER, grant["seq"])


def is_usable(grant: GrantRecord, now: datetime) -> bool:
    """A grant can be drawn from strictly before its expiry instant."""
    expires_at = grant["expires_at"]
    return expires_at is None or now < expires_at


def is_past_expiry(grant: GrantRecord, now: datetime) -> bool:
    """The complement of is_usable: the grant's remaining credits are due to expire."""
    return not is_usable(grant, now)


def spendable(grants: Mapping[str, GrantRecord], now: datetime) -> int:
    """Available credits of the grants still usable at `now`."""
    return sum(grant["available"] for grant in grants.values() if is_usable(grant, now))


def take(grants: Mapping[str, GrantRecord], amount: int, now: datetime) -> list[DrawRecord]:
    """Draws `amount` credits in draw order; the caller has checked they are spendable."""
    draws: list[DrawRecord] = []
    remaining = amount
    usable = [(grant_id, g) for grant_id, g in grants.items() if is_usable(g, now)]
    for grant_id, grant in sorted(usable, key=lambda item: draw_order_key(item[1])):
        portion = min(grant["available"], remaining)
        if portion > 0:
            draws.append(DrawRecord(grant_id=grant_id, amount=portion))
            remaining -= portion
    if remaining > 0:
        raise ValueError(f"cannot draw {amount} credits: {remaining} missing")
    return draws


def split_confirmation(
    draws: Iterable[DrawRecord], amount: int
) -> tuple[list[DrawRecord], list[DrawRecord]]:
    """Splits a freeze's draws into the `amount` consumed and the remainder released.

    Consumption keeps to the first draws (highest priority, earliest expiry), so what goes back
    is taken from the last draws first: the grants most worth keeping get their credits back.
    """
    consumed: list[DrawRecord] = []
    released: list[DrawRecord] = []
    remaining = amount
    for draw in draws:
        used = min(draw["amount"], remaining)
        remaining -= used
        if used > 0:
            consumed.append(DrawRecord(grant_id=draw["grant_id"], amount=used))
        if draw["amount"] > used:
            released.append(DrawRecord(grant_id=draw["grant_id"], amount=draw["amount"] - used))
    released.reverse()
    return consumed, released


def expiring_remainders(grants: Mapping[str, GrantRecord], now: datetime) -> list[DrawRecord]:
    """The unspent, unfrozen credits of every grant past its expiry, in grant order."""
    return [
        DrawRecord(grant_id=grant_id, amount=grant["available"])
        for grant_id, grant in grants.items()
        if grant["available"] > 0 and is_past_expiry(grant, now)
    ]


def total_balance(grants: Iterable[GrantRecord], retired: RetiredTotals) -> Balance:
    """The account's balance: the live grants' buckets plus what retired grants left behind."""
    records = list(grants)
    return Balance(
        available=sum(g["available"] for g in records),
        frozen=sum(g["frozen"] for g in records),
        consumed=retired["consumed"] + sum(g["consumed"] for g in records),
        expired=retired["expired"] + sum(g["expired"] for g in records),
        revoked=retired["revoked"] + sum(g["revoked"] for g in records),
        granted=retired["granted"] + sum(g["amount"] for g in records),
    )


def balance_after_expiries(
    grants: Mapping[str, GrantRecord],
    freezes: Mapping[str, FreezeRecord],
    retired: RetiredTotals,
    now: datetime,
) -> Balance:
    """The balance once the expiries due at `now` are recorded, computed without recording them.

    The same order as a sweep: due freezes return their draws first, then every grant past its
    expiry loses what it has available. Only the numbers move, so a read copies nothing.
    """
    returned: dict[str, int] = {}
    for freeze in freezes.values():
        if freeze["expires_at"] <= now:
            for draw in freeze["draws"]:
                returned[draw["grant_id"]] = returned.get(draw["grant_id"], 0) + draw["amount"]
    balance = total_balance(grants.values(), retired)
    unfrozen = sum(returned.values())
    expiring = sum(
        grant["available"] + returned.get(grant_id, 0)
        for grant_id, grant in grants.items()
        if is_past_expiry(grant, now)
    )
    return Balance(
        available=balance.available + unfrozen - expiring,
        frozen=balance.frozen - unfrozen,
        consumed=balance.consumed,
        expired=balance.expired + expiring,
        revoked=balance.revoked,
        granted=balance.granted,
    )


def move(
    grants: Mapping[str, GrantRecord], draws: Iterable[DrawRecord], source: Bucket, target: Bucket
) -> list[str]:
    """Moves each draw's credits between two buckets of its grant (used when applying events);
    returns the ids of the grants it touched."""
    touched = []
    for draw in draws:
        grant = grants[draw["grant_id"]]
        grant[source] -= draw["amount"]
        grant[target] += draw["amount"]
        touched.append(draw["grant_id"])
    return touched
