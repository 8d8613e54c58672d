"""protos/ follows buf's STANDARD lint rules and its canonical formatting."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[4]


def buf_binary() -> str:
    # buf-bin installs `buf` next to the interpreter; PATH covers other installs.
    beside_python = Path(sys.executable).parent / "buf"
    found = shutil.which("buf") or str(beside_python)
    assert Path(found).exists(), "buf not found: install the dev group (buf-bin)"
    return found


def run_buf(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [buf_binary(), *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def test_protos_pass_buf_lint() -> None:
    result = run_buf("lint")

    assert result.returncode == 0, result.stdout + result.stderr


def test_protos_are_formatted_as_buf_formats_them() -> None:
    result = run_buf("format", "--diff", "--exit-code")

    assert result.returncode == 0, result.stdout + result.stderr
