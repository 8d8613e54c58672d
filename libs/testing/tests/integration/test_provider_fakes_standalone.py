"""Each fake of this group also runs standalone, printing the base URL it serves."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("openai", "/v1/images/generations"),
        ("gemini", "/v1beta/models/x:generateContent"),
        ("music", "/api/v1/generate"),
    ],
)
def test_a_fake_runs_standalone_and_checks_the_key(name: str, path: str) -> None:
    command = [sys.executable, "-m", "atelier_testing.provider_fakes", name, "--port", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        answer = httpx.post(f"{base_url}{path}", json={}, timeout=10)
        refused = answer.status_code in (401, 403) or answer.json().get("code") == 401
        assert refused, answer.text
    finally:
        process.terminate()
        process.wait(timeout=10)
