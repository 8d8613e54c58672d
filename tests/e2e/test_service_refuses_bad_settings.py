"""Every service's entry point refuses bad settings the same way: one line each, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SERVICES = ("credits", "generation", "media", "billing", "edge")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_with_a_malformed_variable_says_so_in_one_line(service: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    env = {
        **clean,
        "ATELIER_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/atelier",
        "ATELIER_SHUTDOWN_GRACE_S": "soon",
        "ATELIER_OTEL_EXPORTER": "zipkin",
    }

    result = subprocess.run(
        [sys.executable, "-m", f"atelier_{service}.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "ATELIER_SHUTDOWN_GRACE_S: must be a number, got 'soon'",
        "ATELIER_OTEL_EXPORTER: must be 'none', 'console' or 'otlp', got 'zipkin'",
    ]


@pytest.mark.parametrize("service", ["credits", "generation", "media", "billing"])
def test_a_backend_without_its_database_url_names_it(service: str) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}

    result = subprocess.run(
        [sys.executable, "-m", f"atelier_{service}.main"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr == "ATELIER_DATABASE_URL: required but not set\n"
