"""How far a projection has read the log, and the lock that lets one writer move it at a time.

The lock is transaction-scoped and taken before any projection table is touched, by the
projector and by a rebuild alike: one lock order, so the two never deadlock, and a position is
only ever read and advanced by the transaction that writes the lines up to it.
"""

from __future__ import annotations

from atelier_runtime.db import DbConnection
from atelier_runtime.relay_source import RelayCursor

# Two-int advisory lock namespace "atlp", apart from the relays' "atlr" and the migrations' key.
_LOCK_NAMESPACE = 0x61746C70


async def try_lock_projection(conn: DbConnection, projection: str) -> bool:
    """Takes the projection's lock until the transaction ends, unless another holds it."""
    locked = await conn.fetchval(
        "SELECT pg_try_advisory_xact_lock($1, hashtext($2))", _LOCK_NAMESPACE, projection
    )
    return bool(locked)


async def lock_projection(conn: DbConnection, projection: str) -> None:
    """Waits for the projection's lock and holds it until the transaction ends."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))", _LOCK_NAMESPACE, projection
    )


async def load_position(conn: DbConnection, projection: str) -> RelayCursor:
    """The last (transaction id, notification id) projected; the start of the log if none."""
    row = await conn.fetchrow(
        "SELECT tx_id, notification_id FROM projection_positions WHERE projection = $1",
        projection,
    )
    if row is None:
        return RelayCursor()
    return RelayCursor(tx_id=int(row["tx_id"]), position=int(row["notification_id"]))


async def store_position(conn: DbConnection, projection: str, cursor: RelayCursor) -> None:
    """Records the position; call it in the transaction that wrote what lies before it."""
    await conn.execute(
        """
        INSERT INTO projection_positions (projection, tx_id, notification_id)
        VALUES ($1, $2::xid8, $3)
        ON CONFLICT (projection) DO UPDATE
            SET tx_id = excluded.tx_id, notification_id = excluded.notification_id,
                updated_at = now()
        """,
        projection,
        cursor.tx_id,
        cursor.position,
    )
