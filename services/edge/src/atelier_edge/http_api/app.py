"""The edge's FastAPI application, built from its collaborators (no globals, so tests build their own)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from atelier_edge.adapters.billing_client import BillingClient
from atelier_edge.adapters.health_probe import HealthProbe
from atelier_edge.http_api import health_routes, webhook_routes
from atelier_edge.http_api.problems import problem
from atelier_edge.http_api.web_app import add_web_app
from atelier_edge.settings import EdgeSettings


def create_app(settings: EdgeSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # gRPC channels bind to the running loop, so they are made here and not at import.
        app.state.health_probe = HealthProbe(settings.backends(), settings.readiness_timeout_s)
        app.state.billing = BillingClient(settings.billing_addr)
        yield
        await app.state.health_probe.close()
        await app.state.billing.close()

    # FastAPI's defaults: the document at /openapi.json, its interactive docs at /docs.
    app = FastAPI(title="Atelier", version="1", lifespan=lifespan)
    app.state.instance_id = settings.instance_id
    app.include_router(health_routes.router)
    app.include_router(webhook_routes.router)
    add_web_app(app, settings)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        kind = "not-found" if error.status_code == 404 else f"http-{error.status_code}"
        return problem(error.status_code, kind, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        return problem(422, "invalid-request", "The request is not valid", errors=error.errors())

    return app
