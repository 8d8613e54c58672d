"""API keys: the caller's own (`/v1/keys`), and any account's for an operator (the CLI's route).

A key is shown once, when it is made; only its SHA-256 is stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from atelier_edge.adapters.key_store import KeyStore, StoredKey
from atelier_edge.domain.api_keys import new_key
from atelier_edge.http_api import models
from atelier_edge.http_api.auth import Caller, Operator
from atelier_edge.http_api.problems import ProblemError, problem_responses

router = APIRouter(tags=["keys"])
KeyId = Annotated[str, Path(min_length=1, max_length=100)]
AccountId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]


def _store(request: Request) -> KeyStore:
    store: KeyStore = request.app.state.keys
    return store


def _listed(key: StoredKey) -> models.ApiKey:
    return models.ApiKey(
        id=key.key_id,
        name=key.name,
        hint=key.hint,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
    )


async def _create(store: KeyStore, account_id: str, name: str) -> models.NewApiKey:
    made = new_key()
    stored = await store.add(account_id, made, name)
    return models.NewApiKey(**_listed(stored).model_dump(), key=made.secret)


async def _revoke(store: KeyStore, account_id: str, key_id: str) -> Response:
    if not await store.revoke(account_id, key_id):
        raise ProblemError(404, "not-found", "Not found", f"no live key {key_id[:100]!r}")
    return Response(status_code=204)


@router.post(
    "/v1/keys", status_code=201, response_model=models.NewApiKey, responses=problem_responses()
)
async def create_key(
    request: Request, principal: Caller, body: models.KeyRequest | None = None
) -> models.NewApiKey:
    """A new key for the caller's account; the response is the only time the key is shown."""
    return await _create(_store(request), principal.account_id, body.name if body else "")


@router.get("/v1/keys", response_model=models.ApiKeyList, responses=problem_responses())
async def list_keys(request: Request, principal: Caller) -> models.ApiKeyList:
    return models.ApiKeyList(
        keys=[_listed(k) for k in await _store(request).live(principal.account_id)]
    )


@router.delete(
    "/v1/keys/{key_id}", status_code=204, response_class=Response, responses=problem_responses(404)
)
async def revoke_key(request: Request, principal: Caller, key_id: KeyId) -> Response:
    """Revokes one of the caller's keys at once; another account's key answers 404."""
    return await _revoke(_store(request), principal.account_id, key_id)


@router.post(
    "/v1/admin/accounts/{account_id}/keys",
    status_code=201,
    response_model=models.NewApiKey,
    responses=problem_responses(403),
    tags=["admin"],
)
async def admin_create_key(
    request: Request, _: Operator, account_id: AccountId, body: models.KeyRequest | None = None
) -> models.NewApiKey:
    """Operator role: a key for any account (`atelier keys create ACCOUNT`)."""
    return await _create(_store(request), account_id, body.name if body else "")


@router.get(
    "/v1/admin/accounts/{account_id}/keys",
    response_model=models.ApiKeyList,
    responses=problem_responses(403),
    tags=["admin"],
)
async def admin_list_keys(
    request: Request, _: Operator, account_id: AccountId
) -> models.ApiKeyList:
    return models.ApiKeyList(keys=[_listed(k) for k in await _store(request).live(account_id)])


@router.delete(
    "/v1/admin/accounts/{account_id}/keys/{key_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(403, 404),
    tags=["admin"],
)
async def admin_revoke_key(
    request: Request, _: Operator, account_id: AccountId, key_id: KeyId
) -> Response:
    return await _revoke(_store(request), account_id, key_id)
