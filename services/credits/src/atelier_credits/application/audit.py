"""Audits the credits log: replays every account, checks the invariants after every event, and
compares the projections with what the log says they must be. Pure: the caller streams in the
events and the stored rows, one account at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from atelier_credits.application.audit_rules import (
    FATAL_RULES,
    SETTLEMENTS,
    Finding,
    Rule,
    differences,
    running_findings,
    settlement_findings,
    state_findings,
)
from atelier_credits.application.balance_row import BalanceRow, balance_row
from atelier_credits.domain import CreditAccount
from atelier_credits.domain.statement import RunningBalance, StatementLine, statement_line

# The projector polls every fraction of a second: an event waiting a minute means it is stuck.
PROJECTION_STALL_S = 60.0


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: where (account, event version if any) and what was found."""

    account: str
    version: int | None
    rule: str
    detail: str


@dataclass(slots=True)
class AuditReport:
    """What was audited and every violation found; empty violations means a sound ledger."""

    accounts: int = 0
    events: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable form for machines (`atelier credits audit --json`)."""
        return {
            "ok": self.ok,
            "accounts": self.accounts,
            "events": self.events,
            "violations": [asdict(violation) for violation in self.violations],
        }


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """A recorded event; `projected` once the statement projector has passed it."""

    event: Any
    projected: bool = True


@dataclass(frozen=True, slots=True)
class AccountLog:
    """Everything stored about one aggregate: its events in version order and its projections."""

    aggregate_id: UUID
    events: Sequence[LoggedEvent]
    balance: BalanceRow | None
    lines: Sequence[StatementLine]


@dataclass(slots=True)
class _Replay:
    """One account replayed so far, with the lines its projected events must have produced."""

    account: CreditAccount | None = None
    running: RunningBalance = field(default_factory=RunningBalance)
    expected_lines: dict[int, StatementLine] = field(default_factory=dict)
    broken: set[Rule] = field(default_factory=set)
    resolved: dict[str, str] = field(default_factory=dict)
    stopped: bool = False


class Auditor:
    """Accumulates an AuditReport over the accounts it is given."""

    def __init__(self) -> None:
        self.report = AuditReport()

    def audit_account(self, log: AccountLog) -> None:
        """Replays one account's events, checking each, then its projection rows."""
        self.report.accounts += 1
        self.report.events += len(log.events)
        label = _label(log)
        replayed = _Replay()
        for logged in log.events:
            self._apply(replayed, logged, label)
            if replayed.stopped:
                return
        if replayed.account is None:
            if log.balance is not None:
                self._violate(
                    label, None, Rule.BALANCE_PROJECTION, "row of an account with no events"
                )
            self._compare_lines(label, {}, log.lines)
            return
        self._compare_balance(label, balance_row(replayed.account), log.balance)
        self._compare_lines(label, replayed.expected_lines, log.lines)

    def projection_waiting(self, events: int, oldest_s: float) -> None:
        """Events the statement projection has not reached; a violation once they wait too long."""
        if oldest_s > PROJECTION_STALL_S:
            detail = (
                f"{events} events wait for the statement projection, the oldest for "
                f"{oldest_s:.0f} s: the projector has stopped advancing"
            )
            self._violate("*", None, Rule.PROJECTION_ADVANCES, detail)

    def unmatched_lines(self, account_id: str, count: int) -> None:
        """Statement lines of an account that has no balances row, so cannot be checked."""
        detail = f"{count} lines of an account with no account_balances row"
        self._violate(account_id, None, Rule.STATEMENT_PROJECTION, detail)

    def _apply(self, replayed: _Replay, logged: LoggedEvent, label: str) -> None:
        event, version = logged.event, logged.event.originator_version
        findings = settlement_findings(replayed.account, event, replayed.resolved)
        if not any(rule in FATAL_RULES for rule, _ in findings):
            try:
                replayed.account = event.mutate(replayed.account)
            except Exception as error:
                findings.append((Rule.EVENT_APPLIES, f"{type(event).__name__}: {error!r}"))
        if any(rule in FATAL_RULES for rule, _ in findings) or replayed.account is None:
            replayed.stopped = True
            stopped = [
                (rule, f"{detail}; rest of the account not checked") for rule, detail in findings
            ]
            self._report(label, version, stopped, replayed.broken)
            return
        if type(event).__name__ in SETTLEMENTS:
            replayed.resolved[event.freeze_id] = SETTLEMENTS[type(event).__name__]
        line, replayed.running = statement_line(event, replayed.running)
        if line is not None and logged.projected:
            replayed.expected_lines[version] = line
        findings += state_findings(replayed.account)
        findings += running_findings(replayed.account, replayed.running)
        self._report(label, version, findings, replayed.broken)

    def _report(
        self, label: str, version: int, findings: Iterable[Finding], broken: set[Rule]
    ) -> None:
        # A broken invariant usually stays broken: report where it breaks, not every event after.
        for rule, detail in findings:
            if rule not in broken:
                broken.add(rule)
                self._violate(label, version, rule, detail)

    def _compare_balance(
        self, label: str, recomputed: BalanceRow, stored: BalanceRow | None
    ) -> None:
        if stored is None:
            self._violate(label, None, Rule.BALANCE_PROJECTION, "no account_balances row")
        elif stored != recomputed:
            detail = differences(stored, recomputed)
            self._violate(label, recomputed.version, Rule.BALANCE_PROJECTION, detail)

    def _compare_lines(
        self, label: str, expected: dict[int, StatementLine], stored: Iterable[StatementLine]
    ) -> None:
        remaining = dict(expected)
        for line in stored:
            wanted = remaining.pop(line.version, None)
            if wanted is None:
                detail = f"{line.kind} line without a projected event of that version"
                self._violate(label, line.version, Rule.STATEMENT_PROJECTION, detail)
            elif line != wanted:
                detail = differences(line, wanted)
                self._violate(label, line.version, Rule.STATEMENT_PROJECTION, detail)
        for version, line in sorted(remaining.items()):
            detail = f"missing {line.kind} line"
            self._violate(label, version, Rule.STATEMENT_PROJECTION, detail)

    def _violate(self, account: str, version: int | None, rule: Rule, detail: str) -> None:
        self.report.violations.append(Violation(account, version, rule.value, detail))


def audit(logs: Iterable[AccountLog]) -> AuditReport:
    """Audits every account of a log."""
    auditor = Auditor()
    for log in logs:
        auditor.audit_account(log)
    return auditor.report


def _label(log: AccountLog) -> str:
    # The Opened event names the account; a balance row or the stream id is the fallback.
    for logged in log.events[:1]:
        account_id = getattr(logged.event, "account_id", None)
        if isinstance(account_id, str):
            return account_id
    return log.balance.account_id if log.balance is not None else str(log.aggregate_id)
