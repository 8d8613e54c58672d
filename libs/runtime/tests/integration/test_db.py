from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest

from atelier_runtime.db import (
    DbPool,
    apply_migrations,
    create_pool,
    database_name,
    ensure_database,
    quote_identifier,
)

MIGRATIONS = (
    "CREATE TABLE ledger_notes (version int NOT NULL)",
    "INSERT INTO ledger_notes VALUES (2)",
)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[DbPool]:
    pool = await create_pool(database_url, max_size=8)
    yield pool
    await pool.close()


@pytest.fixture
async def missing_database_url(database_url: str) -> AsyncIterator[str]:
    url = database_url.rsplit("/", 1)[0] + "/" + f"ensure_{secrets.token_hex(4)}"
    yield url
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(
            f"DROP DATABASE IF EXISTS {quote_identifier(database_name(url))} WITH (FORCE)"
        )
    finally:
        await admin.close()


async def test_ensure_database_creates_a_missing_database_once(missing_database_url: str) -> None:
    created = await asyncio.gather(*(ensure_database(missing_database_url) for _ in range(5)))

    assert created.count(True) == 1
    assert await ensure_database(missing_database_url) is False
    conn = await asyncpg.connect(missing_database_url)
    await conn.close()


async def test_ensure_database_leaves_an_existing_database_alone(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    await conn.execute("CREATE TABLE kept (id int)")
    await conn.close()

    assert await ensure_database(database_url) is False

    conn = await asyncpg.connect(database_url)
    assert await conn.fetchval("SELECT count(*) FROM kept") == 0
    await conn.close()


async def test_migrations_apply_once_when_processes_start_together(pool: DbPool) -> None:
    applied = await asyncio.gather(
        *(apply_migrations(pool, "ledger", MIGRATIONS) for _ in range(6))
    )

    assert sorted(applied) == [0, 0, 0, 0, 0, 2]
    assert await pool.fetchval("SELECT count(*) FROM ledger_notes") == 1
    versions = await pool.fetch(
        "SELECT version FROM schema_migrations WHERE component = 'ledger' ORDER BY version"
    )
    assert [row["version"] for row in versions] == [1, 2]


async def test_only_new_migrations_run_when_the_list_grows(pool: DbPool) -> None:
    await apply_migrations(pool, "ledger", MIGRATIONS)

    applied = await apply_migrations(
        pool, "ledger", (*MIGRATIONS, "INSERT INTO ledger_notes VALUES (3)")
    )

    assert applied == 1
    rows = await pool.fetch("SELECT version FROM ledger_notes ORDER BY version")
    assert [row["version"] for row in rows] == [2, 3]


async def test_components_keep_separate_migration_histories(pool: DbPool) -> None:
    await apply_migrations(pool, "ledger", MIGRATIONS)

    applied = await apply_migrations(pool, "audit", ("CREATE TABLE audit_notes (id int)",))

    assert applied == 1
    assert await pool.fetchval("SELECT count(*) FROM audit_notes") == 0


async def test_a_failing_migration_leaves_nothing_half_applied(pool: DbPool) -> None:
    with pytest.raises(asyncpg.UndefinedTableError):
        await apply_migrations(pool, "ledger", (*MIGRATIONS, "INSERT INTO nowhere VALUES (1)"))

    assert await pool.fetchval("SELECT to_regclass('ledger_notes')") is None
    assert await apply_migrations(pool, "ledger", MIGRATIONS) == 2
