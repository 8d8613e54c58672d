"""Rebuilds an account from its recorded events (and optionally a snapshot first)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from atelier_credits.domain.account import CreditAccount


def replay(events: Iterable[Any], account: CreditAccount | None = None) -> CreditAccount | None:
    """Applies events in order to `account` (None: start from the stream's first event).

    Each event (or snapshot) checks it is the next version of the same stream, so a gap or a
    foreign event fails loudly instead of producing a wrong balance.
    """
    for recorded in events:
        account = recorded.mutate(account)
    return account
