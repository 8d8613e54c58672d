"""The web app's routes on the edge: its files, the public sign-in config, development sign-in."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import jwt
import pytest

from atelier_edge.http_api.app import create_app
from atelier_edge.http_api.web_app import WEB_DIR
from atelier_edge.settings import EdgeSettings
from atelier_runtime.settings import SettingsError, load_settings

SECRET = "web-app-test-secret-0123456789abcdef"
Edge = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def edge(monkeypatch: pytest.MonkeyPatch) -> Edge:
    for name in list(os.environ):
        if name.startswith("ATELIER_"):
            monkeypatch.delenv(name)
    # Never connected to here: the app's lifespan does not run in process.
    monkeypatch.setenv("ATELIER_DATABASE_URL", "postgresql://127.0.0.1:1/unused")

    @asynccontextmanager
    async def started(**env: str) -> AsyncIterator[httpx.AsyncClient]:
        for name, value in env.items():
            monkeypatch.setenv(f"ATELIER_{name.upper()}", value)
        transport = httpx.ASGITransport(app=create_app(load_settings(EdgeSettings)))
        async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
            yield client

    return started


async def test_the_page_is_served_at_the_root_with_a_content_security_policy(edge: Edge) -> None:
    async with edge() as client:
        page = await client.get("/")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/app/js/main.js">' in page.text


async def test_every_file_the_page_names_is_served_and_revalidated(edge: Edge) -> None:
    files = [p.relative_to(WEB_DIR).as_posix() for p in WEB_DIR.rglob("*") if p.is_file()]
    async with edge() as client:
        for name in files:
            if name == "index.html":
                continue
            answer = await client.get(f"/app/{name}")
            assert answer.status_code == 200, name
            assert answer.headers["cache-control"] == "no-cache"
            again = await client.get(
                f"/app/{name}", headers={"If-None-Match": answer.headers["etag"]}
            )
            assert again.status_code == 304, name
    assert "js/main.js" in files
    assert "styles.css" in files


async def test_an_unknown_file_is_a_problem_not_a_page(edge: Edge) -> None:
    async with edge() as client:
        answer = await client.get("/app/js/missing.js")

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


async def test_the_config_says_which_sign_in_methods_are_offered(edge: Edge) -> None:
    async with edge() as client:
        plain = (await client.get("/v1/config")).json()
    async with edge(
        google_client_id="1234.apps.googleusercontent.com", jwt_secret=SECRET, dev_login="1"
    ) as client:
        both = (await client.get("/v1/config")).json()

    assert plain == {"google_client_id": None, "dev_login": False}
    assert both == {"google_client_id": "1234.apps.googleusercontent.com", "dev_login": True}


async def test_dev_sign_in_signs_a_token_for_the_account_with_the_platform_secret(
    edge: Edge,
) -> None:
    async with edge(jwt_secret=SECRET, dev_login="1") as client:
        answer = await client.post("/v1/dev/token", json={"account_id": "acct-3f9a1c"})

    assert answer.status_code == 200
    claims = jwt.decode(answer.json()["token"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == "acct-3f9a1c"
    assert "role" not in claims


async def test_dev_sign_in_does_not_exist_unless_enabled(edge: Edge) -> None:
    async with edge(jwt_secret=SECRET) as client:
        answer = await client.post("/v1/dev/token", json={"account_id": "acct-3f9a1c"})

    assert answer.status_code == 404


@pytest.mark.parametrize(
    "account_id",
    ["", "acct\x00nul", "acct\u202ertl", " acct", "a" * 201, "x" * 100_000, 42, None],
)
async def test_dev_sign_in_refuses_a_malformed_account_naming_the_field(
    edge: Edge, account_id: object
) -> None:
    async with edge(jwt_secret=SECRET, dev_login="1") as client:
        answer = await client.post("/v1/dev/token", json={"account_id": account_id})

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert "account_id" in answer.text


async def test_dev_sign_in_refuses_a_body_that_is_not_json(edge: Edge) -> None:
    async with edge(jwt_secret=SECRET, dev_login="1") as client:
        answer = await client.post(
            "/v1/dev/token", content=b"{not json", headers={"content-type": "application/json"}
        )

    assert answer.status_code == 422


def test_dev_login_without_a_secret_stops_the_edge_naming_both_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("ATELIER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("ATELIER_DEV_LOGIN", "1")

    with pytest.raises(SettingsError) as raised:
        load_settings(EdgeSettings)

    assert "ATELIER_DEV_LOGIN" in str(raised.value)
    assert "ATELIER_JWT_SECRET" in str(raised.value)
