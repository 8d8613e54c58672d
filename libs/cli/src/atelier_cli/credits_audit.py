"""`atelier credits audit`: the credits service replays its whole log and checks every invariant."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from atelier.credits.v1 import credits_admin_pb2 as pb
from atelier_cli.credits_admin_client import AdminCallFailed, audit_stream
from atelier_cli.platform_access import CreditsAdminTarget
from atelier_cli.progress_bar import ProgressBar

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_CANNOT_AUDIT = 2


def run_audit(target: CreditsAdminTarget, account: str | None, as_json: bool) -> int:
    """Audits through the credits service; exit 0 when sound, 1 on any violation, 2 if it cannot run."""
    progress = ProgressBar("events")
    try:
        report = asyncio.run(_audit(target, account, progress))
    except AdminCallFailed as error:
        progress.close()
        print(f"atelier credits audit: cannot audit the credits ledger: {error}", file=sys.stderr)
        return EXIT_CANNOT_AUDIT
    progress.close()
    print(json.dumps(report_json(report), indent=2) if as_json else _human(report))
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


async def _audit(
    target: CreditsAdminTarget, account: str | None, progress: ProgressBar
) -> pb.AuditReport:
    async for update in audit_stream(target, account):
        if update.HasField("report"):
            return update.report
        progress.update(update.progress.events_checked, update.progress.events_total)
    raise AdminCallFailed("the credits service ended the audit without a report")


def report_json(report: pb.AuditReport) -> dict[str, Any]:
    """The `--json` document: the same shape whichever process ran the audit."""
    return {
        "ok": report.ok,
        "accounts": report.accounts,
        "events": report.events,
        "violations": [
            {
                "account": v.account_id,
                "version": v.version if v.HasField("version") else None,
                "rule": v.rule,
                "detail": v.detail,
            }
            for v in report.violations
        ],
    }


def _human(report: pb.AuditReport) -> str:
    lines = [f"audited {report.accounts} accounts, {report.events} events"]
    for v in report.violations:
        where = f"{v.account_id} v{v.version}" if v.HasField("version") else v.account_id
        lines.append(f"  {where}  {v.rule}: {v.detail}")
    count = len(report.violations)
    lines.append("OK: every invariant holds" if report.ok else f"FAILED: {count} violations")
    return "\n".join(lines)
