"""PostgreSQL plumbing for services: pools, creating the database, ordered migrations."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg

# String aliases: asyncpg's classes are only generic in its stubs, not at runtime.
DbPool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
DbConnection: TypeAlias = (
    "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
)

# One key for every component: migrations of one database run one process at a time.
_MIGRATIONS_LOCK_KEY = 0x61746C5F6D6967  # "atl_mig"

_log = logging.getLogger(__name__)

_CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component text NOT NULL,
    version integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)
"""


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10, **kwargs: Any) -> DbPool:
    """A connection pool; extra keyword arguments go to `asyncpg.create_pool`.

    A connection going back to the pool is not sent asyncpg's reset statement (advisory unlock,
    CLOSE ALL, UNLISTEN, RESET ALL): that was one more round trip per use, a sizeable share of a
    busy service's database time, and pooled connections here keep no session state — advisory
    locks are transaction-scoped, LISTEN and session locks use connections of their own. asyncpg
    still rolls back a transaction left open before the connection is reused.
    """
    kwargs.setdefault("reset", _keep_session)
    pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, **kwargs)
    return pool


async def _keep_session(connection: asyncpg.Connection[asyncpg.Record]) -> None:
    return None


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise ValueError(f"the database URL names no database: {url!r}")
    return name


def _maintenance_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def ensure_database(url: str) -> bool:
    """Creates the database the URL names unless it exists; True when this call created it."""
    name = database_name(url)
    admin = await asyncpg.connect(_maintenance_url(url))
    try:
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        try:
            await admin.execute(f"CREATE DATABASE {quote_identifier(name)}")
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            # A concurrent caller created it between our check and our CREATE.
            return False
    finally:
        await admin.close()
    _log.info("created database", extra={"database": name})
    return True


async def apply_migrations(
    target: DbPool | DbConnection, component: str, migrations: Sequence[str]
) -> int:
    """Applies the not-yet-applied migrations of `component` in order; returns how many ran.

    Migration i (from 1) is recorded as version i, so the list may only ever grow at its end.
    Everything runs in one transaction under an advisory lock, so concurrent processes
    starting together apply each migration exactly once and never see half a schema.
    """
    if isinstance(target, asyncpg.Pool):
        async with target.acquire() as conn:
            return await _apply(conn, component, migrations)
    return await _apply(target, component, migrations)


async def _apply(conn: DbConnection, component: str, migrations: Sequence[str]) -> int:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATIONS_LOCK_KEY)
        await conn.execute(_CREATE_MIGRATIONS_TABLE)
        applied: int = await conn.fetchval(
            "SELECT coalesce(max(version), 0) FROM schema_migrations WHERE component = $1",
            component,
        )
        for version, sql in enumerate(migrations, start=1):
            if version <= applied:
                continue
            await conn.execute(sql)
            await conn.execute(
                "INSERT INTO schema_migrations (component, version) VALUES ($1, $2)",
                component,
                version,
            )
    return max(0, len(migrations) - applied)
