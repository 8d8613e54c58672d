"""Starting the embedded PostgreSQL leaves no connection errors in its log."""

from __future__ import annotations

from pathlib import Path

from atelier_localinfra import LocalPostgres


def test_the_readiness_probe_logs_no_fatal_error(tmp_path: Path) -> None:
    log = tmp_path / "postgres.log"
    server = LocalPostgres(tmp_path / "data", durable=False, log_path=log).start()
    server.stop()

    assert "FATAL" not in log.read_text()
