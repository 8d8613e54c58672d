"""The audit over events and projection rows: silent on a sound ledger, precise on a broken one."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

from atelier_credits.application.audit import AccountLog, AuditReport, LoggedEvent, audit
from atelier_credits.application.audit_rules import Rule, state_findings
from atelier_credits.application.balance_row import balance_row
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.statement import StatementLine, statement_lines


def busy_account(t0: datetime) -> tuple[CreditAccount, list[Any]]:
    account = CreditAccount.open("acct-audit", t0)
    account.grant("g1", 50, t0, expires_at=t0 + timedelta(hours=1))
    account.grant("g2", 20, t0, priority=1)
    account.freeze("gen-1", 30, t0)
    account.confirm("gen-1", t0, amount=25)
    account.freeze("gen-2", 10, t0)
    account.rollback("gen-2", t0, "failed")
    account.revoke("refund-1", 5, t0)
    account.freeze("gen-3", 10, t0)
    account.expire_due(t0 + timedelta(hours=2))
    return account, list(account.collect_events())


def log_of(
    account: CreditAccount,
    events: list[Any],
    *,
    lines: list[StatementLine] | None = None,
    projected: int | None = None,
) -> AccountLog:
    """A log whose projections are what the store and projector would have written."""
    upto = len(events) if projected is None else projected
    return AccountLog(
        aggregate_id=account.id,
        events=[LoggedEvent(e, projected=n < upto) for n, e in enumerate(events)],
        balance=balance_row(account),
        lines=statement_lines(events[:upto]) if lines is None else lines,
    )


def forged(event: Any, **changes: Any) -> Any:
    return dataclasses.replace(event, **changes)


def rules(report: AuditReport) -> list[str]:
    return [violation.rule for violation in report.violations]


def test_a_sound_ledger_passes_the_audit(t0: datetime) -> None:
    account, events = busy_account(t0)

    report = audit([log_of(account, events)])

    assert report.ok
    assert (report.accounts, report.events) == (1, len(events))


def test_events_the_projector_has_not_reached_need_no_lines(t0: datetime) -> None:
    account, events = busy_account(t0)

    assert audit([log_of(account, events, projected=4)]).ok


def test_a_freeze_resolved_twice_is_reported_and_stops_the_replay(t0: datetime) -> None:
    account, events = busy_account(t0)
    confirmed = next(e for e in events if type(e).__name__ == "Confirmed")
    again = forged(confirmed, originator_version=len(events) + 1)

    report = audit([log_of(account, [*events, again])])

    assert rules(report) == [Rule.FREEZE_RESOLVED_AT_MOST_ONCE]
    assert report.violations[0].version == len(events) + 1
    assert "gen-1" in report.violations[0].detail


def test_a_confirmation_beyond_the_freeze_is_reported(t0: datetime) -> None:
    account = CreditAccount.open("acct-audit", t0)
    account.grant("g1", 50, t0)
    account.freeze("gen-1", 10, t0)
    account.confirm("gen-1", t0)
    *events, confirmed = account.collect_events()
    inflated = forged(confirmed, amount=12, consumed=[{"grant_id": "g1", "amount": 12}])

    report = audit([log_of(account, [*events, inflated])])

    assert Rule.CONFIRMED_WITHIN_FROZEN in rules(report)
    assert Rule.BUCKETS_NEVER_NEGATIVE in rules(report)


def test_a_freeze_of_more_than_available_is_reported(t0: datetime) -> None:
    account = CreditAccount.open("acct-audit", t0)
    account.grant("g1", 10, t0)
    account.freeze("gen-1", 10, t0)
    *events, frozen = account.collect_events()
    greedy = forged(frozen, amount=15, draws=[{"grant_id": "g1", "amount": 15}])

    report = audit([log_of(account, [*events, greedy])])

    assert Rule.AVAILABLE_NEVER_NEGATIVE in rules(report)


def test_an_event_that_does_not_follow_its_predecessor_is_reported(t0: datetime) -> None:
    account, events = busy_account(t0)
    gap = [*events[:3], *events[4:]]

    report = audit([log_of(account, gap)])

    assert rules(report) == [Rule.EVENT_APPLIES]
    assert report.violations[0].version == events[4].originator_version


def test_a_broken_identity_is_reported(t0: datetime) -> None:
    account, _ = busy_account(t0)
    account.retired["consumed"] += 1

    assert [rule for rule, _ in state_findings(account)] == [Rule.GRANTED_IDENTITY]


def test_a_balance_row_that_differs_from_the_replay_is_reported(t0: datetime) -> None:
    account, events = busy_account(t0)
    log = log_of(account, events)
    assert log.balance is not None
    wrong = dataclasses.replace(log, balance=dataclasses.replace(log.balance, frozen=999))

    report = audit([wrong])

    assert rules(report) == [Rule.BALANCE_PROJECTION]
    assert "frozen: stored 999" in report.violations[0].detail


def test_a_missing_balance_row_is_reported(t0: datetime) -> None:
    account, events = busy_account(t0)

    report = audit([dataclasses.replace(log_of(account, events), balance=None)])

    assert rules(report) == [Rule.BALANCE_PROJECTION]


def test_missing_extra_and_altered_statement_lines_are_each_reported(t0: datetime) -> None:
    account, events = busy_account(t0)
    good = statement_lines(events)
    altered = dataclasses.replace(good[1], available_after=good[1].available_after + 1)
    extra = dataclasses.replace(good[0], version=len(events) + 5)
    lines = [good[0], altered, *good[3:], extra]

    report = audit([log_of(account, events, lines=lines)])

    found = {(v.version, v.detail.split(":")[0]) for v in report.violations}
    assert rules(report) == [Rule.STATEMENT_PROJECTION] * 3
    assert found == {
        (good[1].version, "available_after"),
        (extra.version, "granted line without a projected event of that version"),
        (good[2].version, "missing frozen line"),
    }


def test_the_report_is_json_serialisable(t0: datetime) -> None:
    account, events = busy_account(t0)
    report = audit([dataclasses.replace(log_of(account, events), balance=None)])

    decoded = json.loads(json.dumps(report.to_json()))

    assert decoded["ok"] is False
    assert decoded["violations"][0]["account"] == "acct-audit"
    assert decoded["violations"][0]["rule"] == "balance_projection"
