"""`atelier token ACCOUNT`: an HS256 token for the account, signed with the platform's secret."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from atelier_cli.main import main


def decoded(token: str, secret: str) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(
        token.strip(), secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}
    )
    return claims


def test_the_token_is_for_the_account_and_signed_with_the_exported_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("ATELIER_HOME", str(tmp_path))
    monkeypatch.setenv("ATELIER_JWT_SECRET", "exported-secret-0123456789abcdef")

    assert main(["token", "acct-3f9a1c", "--ttl", "2h"]) == 0

    claims = decoded(capsys.readouterr().out, "exported-secret-0123456789abcdef")
    assert claims["sub"] == "acct-3f9a1c"
    assert "role" not in claims
    assert abs(int(str(claims["exp"])) - (time.time() + 7200)) < 60
