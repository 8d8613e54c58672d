"""What `atelier credits audit` prints from the service's stream, and its exit status."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence

import pytest

from atelier.credits.v1 import credits_admin_pb2 as pb
from atelier_cli import credits_audit
from atelier_cli.credits_audit import run_audit
from atelier_cli.platform_access import CreditsAdminTarget

TARGET = CreditsAdminTarget("127.0.0.1:1", "secret")
TOTAL = 5000


def progress(events: int) -> pb.AuditResponse:
    return pb.AuditResponse(
        progress=pb.AuditProgress(
            accounts_checked=events // 10, events_checked=events, events_total=TOTAL
        )
    )


BROKEN = pb.AuditReport(
    ok=False,
    accounts=500,
    events=TOTAL,
    violations=[
        pb.AuditViolation(
            account_id="acct-7", version=12, rule="available_never_negative", detail="-3"
        ),
        pb.AuditViolation(account_id="acct-9", rule="balance_projection", detail="no row"),
    ],
)


def stream_of(responses: Sequence[pb.AuditResponse], monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake(
        target: CreditsAdminTarget, account: str | None
    ) -> AsyncIterator[pb.AuditResponse]:
        for response in responses:
            yield response

    monkeypatch.setattr(credits_audit, "audit_stream", fake)


def test_json_keeps_its_shape_and_progress_goes_to_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stream_of([progress(2500), progress(TOTAL), pb.AuditResponse(report=BROKEN)], monkeypatch)

    assert run_audit(TARGET, None, as_json=True) == 1

    captured = capsys.readouterr()
    assert json.loads(captured.out) == {
        "ok": False,
        "accounts": 500,
        "events": TOTAL,
        "violations": [
            {
                "account": "acct-7",
                "version": 12,
                "rule": "available_never_negative",
                "detail": "-3",
            },
            {
                "account": "acct-9",
                "version": None,
                "rule": "balance_projection",
                "detail": "no row",
            },
        ],
    }
    assert f"2500/{TOTAL} events" in captured.err
    assert f"{TOTAL}/{TOTAL} events" in captured.err


def test_the_human_report_names_each_violation_where_it_broke(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stream_of([pb.AuditResponse(report=BROKEN)], monkeypatch)

    assert run_audit(TARGET, None, as_json=False) == 1

    assert capsys.readouterr().out.splitlines() == [
        f"audited 500 accounts, {TOTAL} events",
        "  acct-7 v12  available_never_negative: -3",
        "  acct-9  balance_projection: no row",
        "FAILED: 2 violations",
    ]


def test_a_sound_report_exits_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stream_of([pb.AuditResponse(report=pb.AuditReport(ok=True, accounts=1, events=3))], monkeypatch)

    assert run_audit(TARGET, "acct-1", as_json=False) == 0
    assert capsys.readouterr().out.endswith("OK: every invariant holds\n")


def test_a_stream_that_ends_without_a_report_cannot_be_trusted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stream_of([progress(10)], monkeypatch)

    assert run_audit(TARGET, None, as_json=True) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "ended the audit without a report" in captured.err
