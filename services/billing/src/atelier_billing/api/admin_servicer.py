"""atelier.billing.v1.BillingAdminService: the operator's replay, behind the service credential."""

from __future__ import annotations

from typing import Any

import grpc

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier_billing.api import wire_inputs
from atelier_billing.application.replay import Replay

Context = grpc.aio.ServicerContext[Any, Any]


class BillingAdminServicer(billing_pb2_grpc.BillingAdminServiceServicer):
    def __init__(self, replay: Replay) -> None:
        self._replay = replay

    async def Replay(
        self, request: billing_pb2.ReplayRequest, context: Context
    ) -> billing_pb2.ReplayResponse:
        wait_s = wire_inputs.wait_seconds("wait_seconds", request.wait_seconds)
        report = await self._replay.run(wait_s)
        counts = report.by_state
        return billing_pb2.ReplayResponse(
            requeued=report.requeued,
            processed=counts.get("processed", 0),
            parked=counts.get("parked", 0),
            ignored=counts.get("ignored", 0),
            failed=counts.get("failed", 0),
            pending=counts.get("pending", 0),
        )
