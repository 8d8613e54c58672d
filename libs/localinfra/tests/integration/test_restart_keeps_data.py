import asyncpg

from atelier_localinfra import LocalPostgres


async def test_postgres_data_survives_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = LocalPostgres(tmp_path / "data", durable=True).start()
    try:
        conn = await asyncpg.connect(server.url())
        await conn.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
        await conn.close()
    finally:
        server.stop()
    assert not server.process.running()

    again = LocalPostgres(tmp_path / "data", durable=True).start()
    try:
        conn = await asyncpg.connect(again.url())
        assert await conn.fetchval("SELECT v FROM kept") == 42
        await conn.close()
    finally:
        again.stop()
