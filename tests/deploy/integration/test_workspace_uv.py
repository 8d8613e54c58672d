"""`./uv`, as the README tells a newcomer to run it, reaches the workspace's uv."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_dot_slash_uv_runs_uv() -> None:
    result = subprocess.run(
        [str(ROOT / "uv"), "--version"], capture_output=True, text=True, timeout=300, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("uv ")
