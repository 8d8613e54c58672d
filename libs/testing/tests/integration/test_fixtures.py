import asyncpg
import nats

from atelier_testing.plugin import S3Bucket


async def test_each_test_gets_an_empty_database_of_its_own(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        name = await conn.fetchval("SELECT current_database()")
    finally:
        await conn.close()
    assert tables == 0
    assert name.startswith("t_")


async def test_nats_server_has_jetstream(nats_url: str, bus_prefix: str) -> None:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        await js.add_stream(name=f"{bus_prefix}_probe", subjects=[f"{bus_prefix}.probe"])
        ack = await js.publish(f"{bus_prefix}.probe", b"hello")
        assert ack.seq == 1
    finally:
        await client.close()


def test_bucket_accepts_and_returns_objects(s3_bucket: S3Bucket) -> None:
    client = s3_bucket.client()
    client.put_object(Bucket=s3_bucket.name, Key="a.txt", Body=b"hi")  # type: ignore[attr-defined]
    body = client.get_object(Bucket=s3_bucket.name, Key="a.txt")["Body"].read()  # type: ignore[attr-defined]
    assert body == b"hi"
