"""The edge's FastAPI application, built from its collaborators (no globals, so tests build their own)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from atelier_edge.adapters.billing_client import BillingClient
from atelier_edge.adapters.credits_client import CreditsClient
from atelier_edge.adapters.generation_client import GenerationClient
from atelier_edge.adapters.health_probe import HealthProbe
from atelier_edge.adapters.idempotency_store import IdempotencyStore
from atelier_edge.adapters.jwks_keys import JwksKeys
from atelier_edge.adapters.key_store import KeyStore
from atelier_edge.adapters.media_client import MediaClient
from atelier_edge.adapters.schema import COMPONENT, MIGRATIONS
from atelier_edge.application.authenticator import Authenticator
from atelier_edge.application.idempotent_submit import IdempotentSubmit
from atelier_edge.application.inflight import InflightLimit, TooManyInFlight
from atelier_edge.domain.token_bucket import TokenBuckets
from atelier_edge.http_api import (
    account_routes,
    event_routes,
    generation_routes,
    health_routes,
    key_routes,
    media_routes,
    metrics,
    tool_routes,
    webhook_routes,
)
from atelier_edge.http_api.auth import account_id
from atelier_edge.http_api.body_limit import BodyLimit
from atelier_edge.http_api.problems import ProblemError, problem
from atelier_edge.http_api.upstream_errors import upstream_problem
from atelier_edge.http_api.web_app import add_web_app
from atelier_edge.live_wiring import running_live_progress
from atelier_edge.settings import EdgeSettings
from atelier_runtime.db import apply_migrations, create_pool, ensure_database


def create_app(settings: EdgeSettings, caller: Callable[..., Any] = account_id) -> FastAPI:
    """`caller`: the dependency answering the signed-in account id of a live event stream."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # gRPC channels bind to the running loop, so they are made here and not at import.
        async with AsyncExitStack() as stack:
            await _open_collaborators(app, settings, stack)
            # One bus subscription per process, fanned out to every open event stream.
            app.state.live_progress = await stack.enter_async_context(
                running_live_progress(settings)
            )
            yield

    # FastAPI's defaults: the document at /openapi.json, its interactive docs at /docs.
    app = FastAPI(title="Atelier", version="1", lifespan=lifespan)
    app.state.instance_id = settings.instance_id
    app.state.metrics = metrics.HttpMetrics()
    app.state.rate_limits = TokenBuckets(settings.edge_rate_per_s, settings.edge_rate_burst)
    app.state.inflight = InflightLimit(settings.edge_max_inflight_generations)
    for module in (
        health_routes,
        metrics,
        account_routes,
        key_routes,
        tool_routes,
        generation_routes,
        media_routes,
        webhook_routes,
    ):
        app.include_router(module.router)
    app.include_router(event_routes.router(caller))
    add_web_app(app, settings)
    _add_error_handlers(app)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.edge_max_body_bytes,
        read_timeout_s=settings.edge_body_read_timeout_s,
    )
    # Outermost, so refusals made by the other middleware are counted too.
    app.add_middleware(metrics.MetricsMiddleware, metrics=app.state.metrics)
    return app


async def prepare_database(settings: EdgeSettings) -> None:
    """Creates the edge's database if missing and brings its tables up to date.

    The entry point runs this before uvicorn starts, where a signal still stops the process at
    once (uvicorn holds signals until its startup is over).
    """
    assert settings.database_url is not None  # the settings refuse to load without it
    await ensure_database(settings.database_url)
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        await apply_migrations(pool, COMPONENT, MIGRATIONS)
    finally:
        await pool.close()


async def _open_collaborators(app: FastAPI, settings: EdgeSettings, stack: AsyncExitStack) -> None:
    assert settings.database_url is not None
    # Idempotent and cheap once done: an app built without the entry point (tests) is ready too.
    await prepare_database(settings)
    pool = await create_pool(settings.database_url)
    stack.push_async_callback(pool.close)
    timeout = settings.edge_upstream_timeout_s
    app.state.health_probe = _closing(
        stack, HealthProbe(settings.backends(), settings.readiness_timeout_s)
    )
    app.state.billing = _closing(stack, BillingClient(settings.billing_addr, timeout))
    app.state.credits = _closing(stack, CreditsClient(settings.credits_addr, timeout))
    app.state.media = _closing(stack, MediaClient(settings.media_addr, timeout))
    app.state.generation = _closing(
        stack,
        GenerationClient(settings.generation_addr, timeout, settings.edge_submit_timeout_s),
    )
    jwks = (
        _closing(stack, JwksKeys(settings.jwks_url, settings.jwks_refetch_floor_s))
        if settings.jwks_url
        else None
    )
    app.state.jwks = jwks
    app.state.keys = KeyStore(pool)
    app.state.authenticator = Authenticator(
        app.state.keys,
        secret=settings.jwt_secret.get_secret_value() if settings.jwt_secret else None,
        jwks=jwks,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    app.state.idempotent_submit = IdempotentSubmit(
        IdempotencyStore(pool, settings.edge_idempotency_stale_s)
    )


def _closing(stack: AsyncExitStack, client: Any) -> Any:
    stack.push_async_callback(client.close)
    return client


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def refused(_: Request, error: ProblemError) -> JSONResponse:
        return error.response()

    @app.exception_handler(grpc.aio.AioRpcError)
    async def upstream(_: Request, error: grpc.aio.AioRpcError) -> JSONResponse:
        return upstream_problem(error)

    @app.exception_handler(TooManyInFlight)
    async def too_many(_: Request, error: TooManyInFlight) -> JSONResponse:
        answer = problem(
            429, "too-many-in-flight", "Too many generation requests at once", str(error)
        )
        answer.headers["Retry-After"] = "1"
        return answer

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        kind = "not-found" if error.status_code == 404 else f"http-{error.status_code}"
        return problem(error.status_code, kind, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        return problem(
            422, "invalid-request", "The request is not valid", errors=_field_errors(error)
        )

    @app.exception_handler(RecursionError)
    async def too_deep(_: Request, error: RecursionError) -> JSONResponse:
        # The JSON parser gives up on absurd nesting before any model sees the body.
        return problem(
            422, "invalid-request", "The request is not valid",
            errors=[{"field": "body", "problem": "nested too deeply"}],
        )  # fmt: skip

    @app.exception_handler(Exception)
    async def bug(_: Request, error: Exception) -> JSONResponse:
        return problem(500, "internal-error", "Something went wrong on our side")


def _field_errors(error: RequestValidationError) -> list[dict[str, str]]:
    """`{field, problem}` per error; the rejected input is not echoed (it may be huge)."""
    found: list[dict[str, str]] = []
    for item in error.errors()[:20]:
        location = [str(part) for part in item.get("loc", ())]
        field = (
            ".".join(location[1:])
            if location[:1] == ["body"]
            else ".".join(location[1:] or location)
        )
        found.append({"field": field or "body", "problem": str(item.get("msg", "invalid"))[:300]})
    return found
