"""PostgreSQL, NATS and S3 for `atelier up`: the ones named by ATELIER_* URLs, or local ones under ATELIER_HOME."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from atelier_cli.home import AtelierHome
from atelier_cli.up_settings import UpSettings
from atelier_localinfra import LocalNats, LocalPostgres, LocalS3
from atelier_localinfra.s3_snapshot import restore_snapshot, save_snapshot


@dataclass(frozen=True)
class InfrastructureUrls:
    database_url: str
    nats_url: str
    s3_endpoint: str


def start_infrastructure(
    home: AtelierHome, settings: UpSettings, stack: ExitStack, log: Callable[[str], None]
) -> InfrastructureUrls:
    """Starts whatever is not given by URL; registers each stop on `stack` (stopped in reverse order)."""
    database_url = settings.database_url
    if not database_url:
        postgres = LocalPostgres(
            home.path / "postgres" / "data", log_path=home.dir("logs") / "postgres.log"
        )
        postgres.start()
        stack.callback(postgres.stop)
        database_url = postgres.url()
        log(f"postgres   {database_url}  (data in {postgres.data_dir})")
    nats_url = settings.nats_url
    if not nats_url:
        nats = LocalNats(home.path / "nats" / "store", log_path=home.dir("logs") / "nats.log")
        nats.start()
        stack.callback(nats.stop)
        nats_url = nats.url
        log(f"nats       {nats_url}  (JetStream store in {nats.store_dir})")
    s3_endpoint = settings.s3_endpoint
    if not s3_endpoint:
        s3 = LocalS3(home.dir("s3"))
        s3.start()
        stack.callback(s3.stop)
        snapshot = home.path / "s3" / "snapshot"
        restored = restore_snapshot(s3.endpoint, snapshot)
        # Saved before the server stops (callbacks run in reverse), so objects survive a restart.
        stack.callback(save_snapshot, s3.endpoint, snapshot)
        s3_endpoint = s3.endpoint
        log(f"s3         {s3_endpoint}  ({restored} objects restored)")
    return InfrastructureUrls(database_url, nats_url, s3_endpoint)
