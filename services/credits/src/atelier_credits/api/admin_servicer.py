"""atelier.credits.v1.CreditsAdminService: the audit and the projection rebuild, with progress.

Only translation lives here; who may call is decided by the guard the service is mounted with.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from uuid import UUID

import asyncpg
import grpc
from eventsourcing.persistence import Mapper

from atelier.credits.v1 import credits_admin_pb2 as pb
from atelier.credits.v1 import credits_admin_pb2_grpc
from atelier_credits.adapters.audit_reader import AuditProgress, audit_database
from atelier_credits.adapters.replay import RebuildProgress, RebuildSummary, rebuild_projections
from atelier_credits.api.progress_stream import progress_then_result
from atelier_credits.application.audit import AuditReport
from atelier_credits.domain.inputs import identifier
from atelier_runtime.db import DbPool
from atelier_runtime.errors import Unavailable

Context = grpc.aio.ServicerContext[Any, Any]


class CreditsAdminServicer(credits_admin_pb2_grpc.CreditsAdminServiceServicer):
    """Each call borrows one connection of the service's pool for as long as it runs."""

    def __init__(self, pool: DbPool, mapper: Mapper[UUID]) -> None:
        self._pool = pool
        self._mapper = mapper

    async def Audit(
        self, request: pb.AuditRequest, context: Context
    ) -> AsyncIterator[pb.AuditResponse]:
        account_id = (
            identifier("account_id", request.account_id) if request.HasField("account_id") else None
        )

        async def audit(on_progress: Callable[[AuditProgress], None]) -> AuditReport:
            async with self._pool.acquire() as conn:
                return await audit_database(
                    conn, self._mapper, account_id=account_id, on_progress=on_progress
                )

        async for message in progress_then_result(audit, _audit_progress, _audit_report):
            yield message

    async def RebuildProjections(
        self, request: pb.RebuildProjectionsRequest, context: Context
    ) -> AsyncIterator[pb.RebuildProjectionsResponse]:
        async def rebuild(on_progress: Callable[[RebuildProgress], None]) -> RebuildSummary:
            with _busy_projections_are_unavailable():
                return await rebuild_projections(self._pool, self._mapper, on_progress=on_progress)

        async for message in progress_then_result(rebuild, _rebuild_progress, _rebuild_summary):
            yield message


@contextlib.contextmanager
def _busy_projections_are_unavailable() -> Iterator[None]:
    # The rebuild gives up rather than queue ledger writes behind a long reader; the caller
    # may simply try again.
    try:
        yield
    except asyncpg.LockNotAvailableError:
        raise Unavailable(
            "the projections are held by a long-running reader; try the rebuild again",
            reason="PROJECTIONS_BUSY",
        ) from None


def _audit_progress(progress: AuditProgress) -> pb.AuditResponse:
    return pb.AuditResponse(
        progress=pb.AuditProgress(
            accounts_checked=progress.accounts,
            events_checked=progress.events,
            events_total=progress.events_total,
        )
    )


def _audit_report(report: AuditReport) -> pb.AuditResponse:
    violations = [
        pb.AuditViolation(account_id=v.account, version=v.version, rule=v.rule, detail=v.detail)
        for v in report.violations
    ]
    return pb.AuditResponse(
        report=pb.AuditReport(
            ok=report.ok, accounts=report.accounts, events=report.events, violations=violations
        )
    )


def _rebuild_progress(progress: RebuildProgress) -> pb.RebuildProjectionsResponse:
    return pb.RebuildProjectionsResponse(
        progress=pb.RebuildProgress(
            accounts_replayed=progress.accounts_replayed,
            events_replayed=progress.events_replayed,
            events_projected=progress.events_projected,
            events_total=progress.events_total,
        )
    )


def _rebuild_summary(summary: RebuildSummary) -> pb.RebuildProjectionsResponse:
    return pb.RebuildProjectionsResponse(
        summary=pb.RebuildSummary(
            accounts=summary.accounts, events=summary.events, statement_lines=summary.lines
        )
    )
