"""Liveness and readiness: /readyz is 200 only when every backend reports SERVING.

Both name the edge's instance id, so `atelier up` knows the answer came from the edge it started.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from atelier_edge.adapters.health_probe import HealthProbe
from atelier_edge.http_api.problems import problem

router = APIRouter()


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, str]:
    return {"status": "ok", "instance": request.app.state.instance_id}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> JSONResponse | dict[str, object]:
    probe: HealthProbe = request.app.state.health_probe
    statuses = await probe.statuses()
    instance = request.app.state.instance_id
    if all(status == "SERVING" for status in statuses.values()):
        return {"status": "ready", "instance": instance, "services": statuses}
    return problem(
        503, "not-ready", "Not every service is ready", instance=instance, services=statuses
    )
