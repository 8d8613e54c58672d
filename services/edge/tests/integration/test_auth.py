"""Who may call: HS256 tokens signed with the platform secret, tokens from an identity provider's
key set (issuer, audience, expiry, rotation), API keys, and the operator role."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from services.edge.tests.edge_platform import Platform, serving_edge

from atelier_runtime.service_auth import sign_token

pytestmark = pytest.mark.asyncio(loop_scope="session")
ISSUER = "https://accounts.example"
AUDIENCE = "atelier-web"


class KeySet:
    """An identity provider's JWKS endpoint over real HTTP; its keys can be rotated."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.fetches = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                body = json.dumps({"keys": list(owner.keys.values())}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/jwks"

    def add_rsa(self, kid: str) -> Any:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._publish(
            kid, jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True), "RS256"
        )
        return private

    def add_ec(self, kid: str) -> Any:
        private = ec.generate_private_key(ec.SECP256R1())
        self._publish(
            kid, jwt.algorithms.ECAlgorithm.to_jwk(private.public_key(), as_dict=True), "ES256"
        )
        return private

    def _publish(self, kid: str, jwk: dict[str, Any], alg: str) -> None:
        self.keys[kid] = {**jwk, "kid": kid, "alg": alg, "use": "sig"}

    @contextlib.contextmanager
    def running(self) -> Iterator[KeySet]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def provider_token(key: Any, kid: str, account: str, alg: str = "RS256", **overrides: Any) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": account,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    return jwt.encode({**claims, **overrides}, key, algorithm=alg, headers={"kid": kid})


async def me(url: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return await client.get("/v1/keys", headers={"Authorization": f"Bearer {token}"})


async def test_a_platform_token_is_accepted_and_names_the_account(
    platform: Platform, account: str
) -> None:
    async with platform.client(account) as edge:
        answer = await edge.get("/v1/me")

    assert answer.status_code == 200
    assert answer.json()["account_id"] == account


@pytest.mark.parametrize(
    "credential",
    [
        None,
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        "Bearer " + sign_token("another-secret-of-thirty-two-bytes!", subject="acct-x"),
        "Bearer "
        + sign_token(
            "edge-tests-secret-of-thirty-two-bytes", subject="acct-x", ttl=timedelta(minutes=-5)
        ),
        "Bearer atl_" + "A" * 43,
        "Bearer atl_short",
    ],
    ids=[
        "missing",
        "basic",
        "garbage",
        "foreign-secret",
        "expired",
        "unknown-key",
        "malformed-key",
    ],
)
async def test_without_a_valid_credential_the_answer_is_401_with_a_challenge(
    platform: Platform, credential: str | None
) -> None:
    headers = {"Authorization": credential} if credential else {}
    async with platform.client() as edge:
        answer = await edge.get("/v1/me", headers=headers)

    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/unauthenticated")


async def test_an_api_key_is_shown_once_works_until_revoked_and_is_stored_hashed(
    platform: Platform, account: str
) -> None:
    async with platform.client(account) as edge:
        made = await edge.post("/v1/keys", json={"name": "ci"})
        secret = made.json()["key"]
        listed = (await edge.get("/v1/keys")).json()["keys"]
        async with httpx.AsyncClient(base_url=platform.edge_url, timeout=30) as by_key:
            used = await by_key.get("/v1/me", headers={"Authorization": f"Bearer {secret}"})
            revoked = await edge.delete(f"/v1/keys/{made.json()['id']}")
            after = await by_key.get("/v1/me", headers={"Authorization": f"Bearer {secret}"})
        again = await edge.delete(f"/v1/keys/{made.json()['id']}")

    assert made.status_code == 201
    assert secret.startswith("atl_")
    assert [k["id"] for k in listed] == [made.json()["id"]]
    assert "key" not in listed[0]
    assert used.status_code == 200
    assert used.json()["account_id"] == account
    assert revoked.status_code == 204
    assert after.status_code == 401
    assert again.status_code == 404
    conn = await asyncpg_connect(platform)
    try:
        stored = await conn.fetch("SELECT * FROM api_keys WHERE account_id = $1", account)
    finally:
        await conn.close()
    assert secret not in json.dumps([dict(r) for r in stored], default=str)


async def test_another_accounts_key_cannot_be_revoked(platform: Platform, account: str) -> None:
    async with platform.client(account) as owner:
        key_id = (await owner.post("/v1/keys")).json()["id"]
    async with platform.client(account + "-other") as stranger:
        answer = await stranger.delete(f"/v1/keys/{key_id}")

    assert answer.status_code == 404


async def test_admin_routes_need_the_operator_role(platform: Platform, account: str) -> None:
    async with platform.client(account) as user:
        refused = await user.get(f"/v1/admin/accounts/{account}/keys")
    async with platform.client("operator-1", role="operator") as operator:
        made = await operator.post(f"/v1/admin/accounts/{account}/keys", json={"name": "ops"})
        listed = await operator.get(f"/v1/admin/accounts/{account}/keys")

    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/forbidden")
    assert made.status_code == 201
    assert [k["id"] for k in listed.json()["keys"]] == [made.json()["id"]]


async def test_identity_provider_tokens_are_checked_and_keys_rotate(
    platform: Platform, account: str
) -> None:
    keys = KeySet()
    old = keys.add_rsa("old")
    with keys.running():
        settings = platform.edge_settings(
            jwks_url=keys.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwks_refetch_floor_s=0
        )
        async with serving_edge(settings) as url:
            accepted = await me(url, provider_token(old, "old", account))
            wrong_audience = await me(url, provider_token(old, "old", account, aud="other"))
            wrong_issuer = await me(url, provider_token(old, "old", account, iss="https://evil"))
            expired = await me(
                url,
                provider_token(old, "old", account, exp=datetime.now(UTC) - timedelta(minutes=5)),
            )
            # The provider rotates: a token signed with the new key makes the edge fetch again.
            new = keys.add_ec("new")
            rotated = await me(url, provider_token(new, "new", account, alg="ES256"))

    assert accepted.status_code == 200
    assert wrong_audience.status_code == wrong_issuer.status_code == expired.status_code == 401
    assert rotated.status_code == 200
    assert keys.fetches == 2


async def test_unknown_key_ids_fetch_the_key_set_at_most_once_per_floor(
    platform: Platform, account: str
) -> None:
    keys = KeySet()
    known = keys.add_rsa("known")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with keys.running():
        settings = platform.edge_settings(
            jwks_url=keys.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwks_refetch_floor_s=3600
        )
        async with serving_edge(settings) as url:
            assert (await me(url, provider_token(known, "known", account))).status_code == 200
            refused = [
                (await me(url, provider_token(stranger, f"made-up-{n}", account))).status_code
                for n in range(5)
            ]

    assert refused == [401] * 5
    assert keys.fetches == 1


async def asyncpg_connect(platform: Platform) -> Any:
    return await asyncpg.connect(platform.edge_database_url)
