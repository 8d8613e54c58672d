"""The edge's own routes: the OpenAPI document, its docs, and health that names the instance."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
import pytest

from atelier_edge.http_api.app import create_app
from atelier_edge.settings import EdgeSettings
from atelier_runtime.settings import load_settings


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    for name in list(os.environ):
        if name.startswith("ATELIER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ATELIER_INSTANCE_ID", "inst-3f9a1c")
    # Never connected: without its lifespan the app opens no database.
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://edge@127.0.0.1:5432/atelier_edge")
    # In process: requests go straight to the ASGI app, no socket is opened.
    transport = httpx.ASGITransport(app=create_app(load_settings(EdgeSettings)))
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as test_client:
        yield test_client


async def test_the_openapi_document_is_at_openapi_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Atelier"
    assert "/readyz" in response.json()["paths"]


async def test_the_interactive_docs_are_at_docs(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")

    assert response.status_code == 200
    assert "/openapi.json" in response.text


async def test_healthz_names_the_instance_it_was_started_as(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.json() == {"status": "ok", "instance": "inst-3f9a1c"}
