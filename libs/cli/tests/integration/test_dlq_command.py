"""`atelier dlq` against a running service found through a hand-written ATELIER_HOME."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from libs.runtime.tests.integration.dead_letter_support import (
    DURABLE,
    MAX_DELIVER,
    SECRET,
    Demo,
    FlakyHandler,
    demo,
    serving_dead_letters,
)

from atelier_cli.home import AtelierHome, PlatformRecord
from atelier_cli.main import main
from atelier_localinfra import free_port


def write_home(path: Path, billing: str) -> None:
    """What `atelier up` leaves for the other commands: the addresses, and the services' secret."""
    home = AtelierHome(path)
    home.write_record(
        PlatformRecord(
            edge_url="http://127.0.0.1:8080",
            database_url="postgresql://postgres@127.0.0.1:5432/postgres",
            nats_url="nats://127.0.0.1:4222",
            s3_endpoint="http://127.0.0.1:9000",
            supervisor_pid=1,
            services={"billing": billing},
        )
    )
    (home.dir("secrets") / "jwt").write_text(SECRET)


@pytest.fixture
async def d(
    database_url: str,
    nats_url: str,
    bus_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Demo]:
    # The handler fails every delivery, then succeeds on the operator's retry.
    async with demo(
        database_url, nats_url, bus_prefix, FlakyHandler(failures=MAX_DELIVER)
    ) as running:
        await running.publish("evt-1")
        await running.process_until_parked("evt-1")
        async with serving_dead_letters(running) as address:
            write_home(tmp_path, address)
            monkeypatch.setenv("ATELIER_HOME", str(tmp_path))
            yield running


async def atelier(*argv: str) -> int:
    # The command owns its event loop, as it does when an operator runs it.
    return await asyncio.to_thread(main, ["dlq", *argv])


async def test_list_then_retry_processes_the_message_once(
    d: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    letter_id = (await d.dead_letters())[0]["id"]

    assert await atelier("list", "billing") == 0
    listed = capsys.readouterr().out
    assert await atelier("list", "billing", "--origin", DURABLE, "--json") == 0
    [as_json] = json.loads(capsys.readouterr().out)
    assert await atelier("retry", "billing", str(letter_id)) == 0
    retried = capsys.readouterr().out

    assert f"{DURABLE}" in listed
    assert "ConnectionError: downstream unavailable (call 3)" in listed
    assert (as_json["id"], as_json["msg_id"], as_json["attempts"]) == (letter_id, "evt-1", 3)
    assert retried == f"retried {letter_id}\n"
    assert await d.effects() == ["evt-1"]
    assert await atelier("list", "billing") == 0
    assert capsys.readouterr().out == "no dead letters in billing\n"


async def test_show_and_drop(d: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    letter_id = (await d.dead_letters())[0]["id"]

    assert await atelier("show", "billing", str(letter_id)) == 0
    shown = capsys.readouterr().out
    assert await atelier("drop", "billing", str(letter_id)) == 0
    assert await atelier("drop", "billing", str(letter_id)) == 1

    assert "msg_id        evt-1" in shown
    assert "header        Nats-Msg-Id: evt-1" in shown
    captured = capsys.readouterr()
    assert captured.out == f"dropped {letter_id}\n"
    assert captured.err == (
        f"atelier dlq drop: billing: NOT_FOUND [DEAD_LETTER_NOT_FOUND]: no dead letter {letter_id}\n"
    )


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (("retry", "billing"), "retry takes an ID, or --all with --origin ORIGIN"),
        (("retry", "billing", "--all"), "retry takes an ID, or --all with --origin ORIGIN"),
        (("show", "billing", "twelve"), "ID must be a dead letter's number, got 'twelve'"),
        (("list", "media"), "no service 'media' in"),
    ],
)
async def test_bad_usage_exits_two_with_one_line(
    d: Demo, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], complaint: str
) -> None:
    assert await atelier(*argv) == 2

    err = capsys.readouterr().err
    assert complaint in err
    assert err.count("\n") == 1


async def test_an_unreachable_service_exits_two_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_home(tmp_path, f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("ATELIER_HOME", str(tmp_path))

    assert await atelier("list", "billing") == 2

    err = capsys.readouterr().err
    assert err.startswith("atelier dlq list: billing: UNAVAILABLE")
    assert err.count("\n") == 1


async def test_retry_all_of_an_origin(d: Demo, capsys: pytest.CaptureFixture[str]) -> None:
    letter_id = (await d.dead_letters())[0]["id"]

    assert await atelier("retry", "billing", "--all", "--origin", DURABLE) == 0

    assert capsys.readouterr().out == f"retried {letter_id}\n1 retried, 0 failed again\n"
    assert await d.effects() == ["evt-1"]
