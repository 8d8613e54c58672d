"""Findings, and the report a failing test prints: one readable line per bad case."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MESSAGE_HEAD = 120


@dataclass(frozen=True)
class Finding:
    """One case the service got wrong, with enough to reproduce it (the seed gives the rest)."""

    method: str
    field: str
    value: str
    code: str
    message: str
    problem: str

    def case(self) -> str:
        status = f"{self.code} {self.message}" if self.message else self.code
        return f"{self.field} = {self.value} -> {status}: {self.problem}"

    def __str__(self) -> str:
        return f"{self.method}  {self.case()}"


def message_head(message: str) -> str:
    """The start of a status message, control characters escaped, its full length if cut."""
    if not message:
        return ""
    if len(message) <= MESSAGE_HEAD:
        return repr(message)
    return f"{message[:MESSAGE_HEAD]!r}... ({len(message):,} chars)"


@dataclass
class FuzzReport:
    """What one run tried and found; `str()` is the report a failing test prints."""

    methods: list[str] = field(default_factory=list)
    cases: int = 0
    skipped: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def __str__(self) -> str:
        summary = (
            f"{len(self.findings)} finding(s) in {self.cases} case(s) over "
            f"{len(self.methods)} method(s); {len(self.skipped)} skipped above the receive limit"
        )
        return "\n".join([summary, *format_findings(self.findings)])


def format_findings(findings: Iterable[Finding]) -> list[str]:
    """Findings grouped by method, one indented line each."""
    lines: list[str] = []
    method = None
    for finding in findings:
        if finding.method != method:
            method = finding.method
            lines.append(f"{method}:")
        lines.append(f"  {finding.case()}")
    return lines


def assert_no_findings(report: FuzzReport) -> None:
    """Fails with the whole report, so one run shows every bad case at once."""
    if report.findings:
        raise AssertionError(f"hostile input mishandled\n{report}")
