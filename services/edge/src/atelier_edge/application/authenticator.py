"""Who is calling: an HS256 token (platform secret), a token from the identity provider's key
set (issuer, audience and expiry checked), or an API key; each yields the account it acts for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import jwt

from atelier_edge.adapters.jwks_keys import JwksKeys
from atelier_edge.domain import api_keys

ROLE_CLAIM = "role"
OPERATOR = "operator"
_LEEWAY = timedelta(seconds=10)
_MAX_ACCOUNT_CHARS = 200


@dataclass(frozen=True)
class Principal:
    account_id: str
    role: str = ""

    @property
    def is_operator(self) -> bool:
        return self.role == OPERATOR


class NotAuthenticated(Exception):
    """No usable credential; the message says what is wrong, never which secret was tried."""


class KeyLookup(Protocol):
    async def account_of(self, digest: str) -> str | None: ...


class Authenticator:
    def __init__(
        self,
        keys: KeyLookup,
        *,
        secret: str | None,
        jwks: JwksKeys | None,
        issuer: str | None,
        audience: str | None,
    ) -> None:
        self._keys = keys
        self._secret = secret
        self._jwks = jwks
        self._issuer = issuer
        self._audience = audience

    async def principal(self, authorization: str | None) -> Principal:
        credential = _bearer(authorization)
        if api_keys.looks_like_key(credential):
            return await self._by_key(credential)
        claims = await self._verified_claims(credential)
        role = claims.get(ROLE_CLAIM)
        return Principal(_account(claims.get("sub")), role if isinstance(role, str) else "")

    async def _by_key(self, credential: str) -> Principal:
        if not api_keys.is_well_formed(credential):
            raise NotAuthenticated("the API key is malformed")
        account = await self._keys.account_of(api_keys.digest_of(credential))
        if account is None:
            raise NotAuthenticated("the API key is unknown or revoked")
        return Principal(account)

    async def _verified_claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise NotAuthenticated("the bearer token is not a JWT") from None
        algorithm = header.get("alg")
        try:
            if algorithm == "HS256" and self._secret:
                return self._decode(token, self._secret, "HS256", checked_origin=False)
            if algorithm in ("RS256", "ES256") and self._jwks is not None:
                key = await self._jwks.key(str(header.get("kid", "")))
                if key is None:
                    raise NotAuthenticated("the token's signing key is not in the key set")
                return self._decode(token, key, str(algorithm), checked_origin=True)
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("the token has expired") from None
        except jwt.PyJWTError as error:
            raise NotAuthenticated(f"the token is not valid: {error}") from None
        raise NotAuthenticated(f"tokens signed with {str(algorithm)[:20]!r} are not accepted")

    def _decode(
        self, token: str, key: Any, algorithm: str, *, checked_origin: bool
    ) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            issuer=self._issuer if checked_origin else None,
            audience=self._audience if checked_origin else None,
            options={
                "require": ["exp", "sub", *(("iss", "aud") if checked_origin else ())],
                "verify_aud": checked_origin,
            },
            leeway=_LEEWAY,
        )
        return claims


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise NotAuthenticated("send `Authorization: Bearer <token or API key>`")
    scheme, _, credential = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise NotAuthenticated("the Authorization header is not `Bearer <token or API key>`")
    return credential.strip()


def _account(subject: object) -> str:
    if (
        not isinstance(subject, str)
        or not 0 < len(subject) <= _MAX_ACCOUNT_CHARS
        or not subject.isprintable()
    ):
        raise NotAuthenticated(
            f"the token's sub must be 1 to {_MAX_ACCOUNT_CHARS} printable characters"
        )
    return subject
