"""`atelier keys create|list|revoke ACCOUNT` against the running edge, as the operator."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from services.edge.tests.edge_platform import JWT_SECRET, Platform

from atelier_cli.keys_command import EdgeTarget, run_keys
from atelier_cli.main import build_parser, main

pytestmark = pytest.mark.asyncio(loop_scope="session")


def cli(target: EdgeTarget, *argv: str) -> int:
    return run_keys(target, build_parser().parse_args(["keys", *argv]))


async def test_keys_are_created_listed_and_revoked_from_the_command_line(
    platform: Platform, account: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = EdgeTarget(platform.edge_url, JWT_SECRET)

    assert await asyncio.to_thread(cli, target, "create", account, "--name", "ci") == 0
    secret = capsys.readouterr().out.strip()
    assert await asyncio.to_thread(cli, target, "list", account) == 0
    (listed,) = capsys.readouterr().out.splitlines()
    key_id = listed.split()[0]
    async with httpx.AsyncClient(base_url=platform.edge_url, timeout=30) as client:
        used = await client.get("/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert await asyncio.to_thread(cli, target, "revoke", account, key_id) == 0
    assert await asyncio.to_thread(cli, target, "revoke", account, key_id) == 1
    refusal = capsys.readouterr().err.strip().splitlines()[-1]

    assert secret.startswith("atl_")
    assert used.json()["account_id"] == account
    assert refusal.startswith("atelier keys: 404")


async def test_a_wrong_secret_is_refused_in_one_line(
    platform: Platform, account: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = EdgeTarget(platform.edge_url, "not-the-platform-secret-at-all-32b")

    assert await asyncio.to_thread(cli, target, "list", account) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("atelier keys: 401")


def test_a_missing_account_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["keys", "create"])

    assert exited.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
