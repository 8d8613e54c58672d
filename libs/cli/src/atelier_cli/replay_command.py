"""`atelier replay`: the credits service rebuilds its projections from the event log."""

from __future__ import annotations

import asyncio
import sys

from atelier.credits.v1 import credits_admin_pb2 as pb
from atelier_cli.credits_admin_client import AdminCallFailed, rebuild_stream
from atelier_cli.platform_access import CreditsAdminTarget
from atelier_cli.progress_bar import ProgressBar

EXIT_OK = 0
EXIT_FAILED = 1


def run_replay(target: CreditsAdminTarget) -> int:
    """Rebuilds balances and statement lines in one transaction; exit 0 on success, 1 if not."""
    # The rebuild reads the log twice: once for the balances, once for the statement lines.
    progress = ProgressBar("events read (balances, then statements)")
    try:
        summary = asyncio.run(_replay(target, progress))
    except AdminCallFailed as error:
        progress.close()
        print(f"atelier replay: cannot rebuild the credits projections: {error}", file=sys.stderr)
        return EXIT_FAILED
    progress.close()
    print(
        f"rebuilt the credits projections from {summary.events} events: "
        f"{summary.accounts} account balances, {summary.statement_lines} statement lines"
    )
    return EXIT_OK


async def _replay(target: CreditsAdminTarget, progress: ProgressBar) -> pb.RebuildSummary:
    async for update in rebuild_stream(target):
        if update.HasField("summary"):
            return update.summary
        p = update.progress
        progress.update(p.events_replayed + p.events_projected, 2 * p.events_total)
    raise AdminCallFailed("the credits service ended the rebuild without a summary")
