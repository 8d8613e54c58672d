"""Transaction-scoped advisory locks on business keys (`subscription:sub_1`, `charge:ch_1`).

Two events about one subscription, customer or payment are processed one after the other, even
on two replicas: otherwise an invoice could be parked for want of an account at the very moment
another transaction links that account, and wait for a wake-up that has already happened.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from atelier_runtime.db import DbConnection

_NAMESPACE = 0x62696C6C  # "bill": apart from the relays' and the migrations' locks


def _key_number(key: str) -> int:
    value = zlib.crc32(key.encode())
    return value - 2**32 if value >= 2**31 else value


async def lock_keys(conn: DbConnection, keys: Iterable[str]) -> None:
    """Locks every key until the transaction ends; always in one order, so never a deadlock."""
    for number in sorted({_key_number(key) for key in keys}):
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", _NAMESPACE, number)
