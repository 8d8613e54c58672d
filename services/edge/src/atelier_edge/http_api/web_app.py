"""The web app: its files at `/`, the sign-in methods it may offer, and development sign-in."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from os import PathLike
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.responses import Response
from starlette.types import Scope

from atelier_edge.settings import EdgeSettings
from atelier_runtime.service_auth import sign_token

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
DEV_TOKEN_TTL = timedelta(hours=12)
# The page loads only its own files, plus Google's sign-in script and frame when it is enabled;
# it fetches provider files and uploads to the bucket, which live on other origins.
_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' https://accounts.google.com/gsi/client",
        "style-src 'self' https://accounts.google.com/gsi/style",
        "frame-src https://accounts.google.com/gsi/",
        "connect-src 'self' http: https:",
        "img-src 'self' http: https: data: blob:",
        "media-src 'self' http: https: blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
# Files are small and change with each release; revalidating by ETag costs a 304 at most.
_REVALIDATE = {"Cache-Control": "no-cache"}


class WebConfig(BaseModel):
    """What the sign-in page offers; public, so it is read before anyone signs in."""

    google_client_id: str | None = Field(description="set when Google sign-in is enabled")
    dev_login: bool = Field(description="true when `POST /v1/dev/token` signs anyone in")


class DevTokenRequest(BaseModel):
    account_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@:-]*$")


class DevToken(BaseModel):
    token: str
    expires_at: datetime


def add_web_app(app: FastAPI, settings: EdgeSettings) -> None:
    """Adds the page, its files under `/app/`, `GET /v1/config` and, if enabled, dev sign-in."""
    app.include_router(_config_router(settings))
    if settings.dev_login and settings.jwt_secret is not None:
        app.include_router(_dev_login_router(settings.jwt_secret.get_secret_value()))

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        headers = {**_REVALIDATE, "Content-Security-Policy": _CONTENT_SECURITY_POLICY}
        return FileResponse(WEB_DIR / "index.html", headers=headers)

    app.mount("/app", _RevalidatedFiles(directory=WEB_DIR), name="web-app")


def _config_router(settings: EdgeSettings) -> APIRouter:
    router = APIRouter(tags=["web app"])

    @router.get("/v1/config", response_model=WebConfig)
    async def config() -> WebConfig:
        """The sign-in methods this edge accepts from the web app."""
        return WebConfig(google_client_id=settings.google_client_id, dev_login=settings.dev_login)

    return router


def _dev_login_router(secret: str) -> APIRouter:
    router = APIRouter(tags=["web app"])

    @router.post("/v1/dev/token", response_model=DevToken)
    async def dev_token(body: DevTokenRequest) -> DevToken:
        """A token for any account, without a password: development only (ATELIER_DEV_LOGIN=1)."""
        now = datetime.now(UTC)
        token = sign_token(secret, subject=body.account_id, ttl=DEV_TOKEN_TTL, now=now)
        return DevToken(token=token, expires_at=now + DEV_TOKEN_TTL)

    return router


class _RevalidatedFiles(StaticFiles):
    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(_REVALIDATE)
        return response
