"""Real infrastructure servers started from pip-installed binaries, owned by the calling process."""

from atelier_localinfra.nats_server import LocalNats
from atelier_localinfra.postgres_server import LocalPostgres
from atelier_localinfra.process import ManagedProcess, free_port
from atelier_localinfra.s3_server import LocalS3

__all__ = ["LocalNats", "LocalPostgres", "LocalS3", "ManagedProcess", "free_port"]
