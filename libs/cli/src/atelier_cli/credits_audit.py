"""`atelier credits audit`: replays the whole credits log and checks every invariant."""

from __future__ import annotations

import asyncio
import json
import sys

import asyncpg

from atelier_cli.progress_bar import ProgressBar
from atelier_credits.adapters.audit_reader import Progress, audit_database
from atelier_credits.adapters.memory_store import event_mapper
from atelier_credits.application.audit import AuditReport

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_CANNOT_AUDIT = 2


def run_audit(database_url: str, account: str | None, as_json: bool) -> int:
    """Audits the credits database; exit 0 when sound, 1 on any violation, 2 if it cannot run."""
    progress = ProgressBar("events")
    try:
        report = asyncio.run(_audit(database_url, account, progress.update))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        progress.close()
        print(f"atelier credits audit: cannot read the credits database: {error}", file=sys.stderr)
        return EXIT_CANNOT_AUDIT
    progress.close()
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(_human(report))
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


async def _audit(database_url: str, account: str | None, on_progress: Progress) -> AuditReport:
    conn = await asyncpg.connect(database_url)
    try:
        return await audit_database(
            conn, event_mapper(), account_id=account, on_progress=on_progress
        )
    finally:
        await conn.close()


def _human(report: AuditReport) -> str:
    lines = [f"audited {report.accounts} accounts, {report.events} events"]
    for v in report.violations:
        where = v.account if v.version is None else f"{v.account} v{v.version}"
        lines.append(f"  {where}  {v.rule}: {v.detail}")
    count = len(report.violations)
    lines.append("OK: every invariant holds" if report.ok else f"FAILED: {count} violations")
    return "\n".join(lines)
