"""ATELIER_HOME: where a local platform keeps its data, logs, secrets and the addresses of what runs."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from atelier_cli.configuration_error import ConfigurationError

HOME_FORM = "a directory you can write to (default ./.atelier)"


class AlreadyRunning(RuntimeError):
    """Another `atelier up` holds this home."""


class HomeUnusable(ConfigurationError):
    """ATELIER_HOME names a place where no directory can be made or written."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(
            [f"ATELIER_HOME: {path} cannot be used ({_why(path, error)}); expected {HOME_FORM}"]
        )


def _why(path: Path, error: OSError) -> str:
    if isinstance(error, NotADirectoryError | FileExistsError):
        blocking = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            return f"{blocking} is a file, not a directory"
    if isinstance(error, PermissionError):
        return "permission denied"
    return error.strerror or str(error)


@contextmanager
def _as_home_problem(path: Path) -> Iterator[None]:
    # Any file-system error under the home is a configuration problem of ATELIER_HOME.
    try:
        yield
    except OSError as error:
        raise HomeUnusable(path, error) from None


@dataclass
class PlatformRecord:
    """What a running platform publishes for the other `atelier` commands."""

    edge_url: str
    database_url: str
    nats_url: str
    s3_endpoint: str
    supervisor_pid: int
    services: dict[str, str] = field(default_factory=dict)  # name → gRPC address
    instance_id: str = ""  # what the platform's own edge names in /readyz
    # Whether the services verify tokens with an exported ATELIER_JWT_SECRET, not the home's.
    jwt_secret_exported: bool = False


class AtelierHome:
    """One directory per local platform; a lock file makes a second `atelier up` refuse."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self._lock_file: IO[str] | None = None

    @classmethod
    def from_env(cls) -> AtelierHome:
        # An empty value counts as not exported, as for every other ATELIER_* variable.
        return cls(Path(os.environ.get("ATELIER_HOME") or "./.atelier"))

    def dir(self, *parts: str) -> Path:
        target = self.path.joinpath(*parts)
        with _as_home_problem(self.path):
            target.mkdir(parents=True, exist_ok=True)
        return target

    def check_writable(self) -> None:
        """Raises HomeUnusable unless the home exists (made if missing) and takes new files."""
        with _as_home_problem(self.path):
            self.path.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.path):
                pass

    @property
    def record_path(self) -> Path:
        return self.path / "platform.json"

    def lock(self) -> None:
        with _as_home_problem(self.path):
            self.path.mkdir(parents=True, exist_ok=True)
            handle = open(self.path / "up.lock", "a+")  # noqa: SIM115 - held while the platform runs
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AlreadyRunning(
                f"Atelier is already running from {self.path} (supervisor pid {holder}); "
                "stop it first or choose another ATELIER_HOME"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def unlock(self) -> None:
        self.record_path.unlink(missing_ok=True)
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def write_record(self, record: PlatformRecord) -> None:
        tmp = self.record_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(record), indent=2))
        tmp.replace(self.record_path)

    def read_record(self) -> PlatformRecord:
        try:
            text = self.record_path.read_text()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no running Atelier found under {self.path}; start one with `atelier up` "
                "or set ATELIER_HOME"
            ) from None
        except OSError as error:
            raise HomeUnusable(self.path, error) from None
        return PlatformRecord(**json.loads(text))

    def secret(self, name: str) -> str:
        """A random secret generated once per home, so tokens stay valid across restarts."""
        path = self.dir("secrets") / name
        with _as_home_problem(self.path):
            if not path.exists():
                path.write_text(secrets.token_urlsafe(32))
                path.chmod(0o600)
            return path.read_text().strip()
