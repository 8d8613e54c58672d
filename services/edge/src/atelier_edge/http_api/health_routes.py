"""Liveness and readiness: /readyz is 200 only when every backend reports SERVING."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from atelier_edge.adapters.health_probe import HealthProbe
from atelier_edge.http_api.problems import problem

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> JSONResponse | dict[str, object]:
    probe: HealthProbe = request.app.state.health_probe
    statuses = await probe.statuses()
    if all(status == "SERVING" for status in statuses.values()):
        return {"status": "ready", "services": statuses}
    return problem(503, "not-ready", "Not every service is ready", services=statuses)
