"""`atelier up` with a bad configuration: one line naming the variable, exit 2, nothing running.

Everything here is refused before anything starts, so no test waits for a platform.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.e2e.platform_process import processes_started_for, run_atelier

from atelier_localinfra import free_port

CLOSED = free_port()  # nothing listens here: a connection is refused at once
UNROUTABLE = "10.255.255.1"  # nothing answers here: a connection times out


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"ATELIER_EDGE_PORT": "abc"},
            "ATELIER_EDGE_PORT: must be a port number 1-65535, got 'abc'",
        ),
        (
            {"ATELIER_DATABASE_URL": "localhost:5432"},
            "ATELIER_DATABASE_URL: must be a PostgreSQL URL like postgresql://",
        ),
        (
            {"ATELIER_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{CLOSED}/postgres"},
            f"ATELIER_DATABASE_URL: nothing listens at 127.0.0.1:{CLOSED} (connection refused)",
        ),
        (
            {"ATELIER_S3_ENDPOINT": f"http://127.0.0.1:{CLOSED}"},
            f"ATELIER_S3_ENDPOINT: nothing listens at 127.0.0.1:{CLOSED}",
        ),
        (
            {"ATELIER_NATS_URL": f"nats://{UNROUTABLE}:4222"},
            f"ATELIER_NATS_URL: {UNROUTABLE}:4222 did not answer within 5 s",
        ),
        ({"ATELIER_GRPC_PORT": "50051"}, "ATELIER_GRPC_PORT: atelier up gives every backend"),
        (
            {"ATELIER_CREDITS_SHARDS": "100"},
            "ATELIER_CREDITS_SHARDS: must be at most 64, got '100'",
        ),
        ({"ATELIER_READINESS_TIMEOUT_S": "soon"}, "ATELIER_READINESS_TIMEOUT_S: must be a number"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
def test_a_bad_value_is_one_line_exit_2_and_nothing_left_running(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    home = tmp_path / "home"
    started = time.monotonic()

    result = run_atelier(home, "up", env={"ATELIER_EDGE_PORT": str(free_port()), **env})

    assert time.monotonic() - started < 8.0  # an unreachable server is given up on after 5 s
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"atelier up: {expected}")
    assert result.stderr.count("\n") == 1
    assert "ready" not in result.stdout
    assert processes_started_for(home) == []


def test_a_home_below_a_file_is_named(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-directory"
    a_file.write_text("")
    home = a_file / "home"

    for command in (["up"], ["status"], ["token", "acct-1"]):
        result = run_atelier(home, *command, env={"ATELIER_EDGE_PORT": str(free_port())})

        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"atelier {command[0]}: ATELIER_HOME: {home} cannot be used ({a_file} is a file, "
            "not a directory); expected a directory you can write to (default ./.atelier)\n"
        )
    assert processes_started_for(home) == []


class _ReadyAnyway(BaseHTTPRequestHandler):
    """Answers like a ready edge, as another platform's edge would."""

    def do_GET(self) -> None:
        body = json.dumps({"status": "ready", "instance": "someone-else"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def port_held_by_a_ready_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _ReadyAnyway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_an_edge_port_held_by_another_ready_server_is_refused_not_reported_ready(
    tmp_path: Path, port_held_by_a_ready_server: int
) -> None:
    home = tmp_path / "home"
    port = port_held_by_a_ready_server

    result = run_atelier(home, "up", env={"ATELIER_EDGE_PORT": str(port)})

    assert result.returncode == 2
    assert result.stderr.startswith(
        f"atelier up: ATELIER_EDGE_PORT: port {port} on 127.0.0.1 is already in use"
    )
    assert result.stderr.count("\n") == 1
    assert "ready" not in result.stdout
    assert processes_started_for(home) == []


def test_an_expiry_in_words_is_refused_naming_the_forms(tmp_path: Path) -> None:
    result = run_atelier(tmp_path, "credits", "grant", "acct-1", "5", "--expires", "tomorrow")

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "argument --expires: expected a duration like 30d, 12h" in result.stderr
    assert "Traceback" not in result.stderr
