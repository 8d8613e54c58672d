"""Session-wide servers for the tests: local binaries by default, testcontainers when asked and possible."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from atelier_localinfra import LocalNats, LocalPostgres, LocalS3


@dataclass(frozen=True)
class Servers:
    """Where the session's servers listen."""

    postgres_admin_url: str
    nats_url: str
    s3_endpoint: str


def docker_requested() -> bool:
    if os.environ.get("ATELIER_TEST_DOCKER") != "1":
        return False
    try:
        import docker  # type: ignore[import-not-found]

        docker.from_env().ping()
    except Exception:
        return False
    return True


@contextmanager
def local_servers(work_dir: Path) -> Iterator[Servers]:
    with ExitStack() as stack:
        postgres = LocalPostgres(work_dir / "pg" / "data", durable=False).start()
        stack.callback(postgres.stop)
        nats = LocalNats(work_dir / "nats" / "store").start()
        stack.callback(nats.stop)
        s3 = LocalS3(work_dir / "s3").start()
        stack.callback(s3.stop)
        yield Servers(postgres.url(), nats.url, s3.endpoint)


@contextmanager
def container_servers() -> Iterator[Servers]:
    from testcontainers.minio import MinioContainer  # type: ignore[import-not-found]
    from testcontainers.nats import NatsContainer  # type: ignore[import-not-found]
    from testcontainers.postgres import PostgresContainer  # type: ignore[import-not-found]

    with (
        PostgresContainer("postgres:17", username="postgres", password="postgres") as postgres,
        NatsContainer("nats:2.11").with_command("-js") as nats,
        MinioContainer() as minio,
    ):
        pg_url = postgres.get_connection_url(driver=None)
        minio_cfg = minio.get_config()
        yield Servers(pg_url, nats.nats_uri(), f"http://{minio_cfg['endpoint']}")


@contextmanager
def session_servers(work_dir: Path) -> Iterator[Servers]:
    factory = container_servers() if docker_requested() else local_servers(work_dir)
    with factory as servers:
        yield servers
