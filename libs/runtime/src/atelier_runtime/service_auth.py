"""Service credentials: short-lived HS256 tokens that name a role, signed with ATELIER_JWT_SECRET.

Admin methods need more than network reach: the caller (an operator's CLI, another service)
signs a token with the platform's shared secret, and the service checks its signature, its
expiry and its role before the method runs.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from pydantic import SecretStr

from atelier_runtime.errors import PermissionDenied, Unauthenticated
from atelier_runtime.grpc_guards import Metadata

_log = logging.getLogger(__name__)

AUTHORIZATION = "authorization"  # gRPC metadata keys are lower case
ROLE_CLAIM = "role"
OPERATOR = "operator"
SERVICE = "service"
ADMIN_ROLES = frozenset({OPERATOR, SERVICE})
DEFAULT_TTL = timedelta(minutes=5)
_ALGORITHM = "HS256"
# Two processes' clocks differ a little; a fresh token must not be refused for that.
_LEEWAY = timedelta(seconds=10)
_HOW_TO = "send `authorization: Bearer <JWT>` signed with ATELIER_JWT_SECRET (HS256)"


def sign_token(
    secret: str,
    *,
    subject: str,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
    claims: Mapping[str, Any] | None = None,
) -> str:
    """An HS256 token for `subject` (`sub`), valid for `ttl` from `now` (`iat`, `exp`)."""
    issued = now or datetime.now(UTC)
    signed = {**(claims or {}), "sub": subject, "iat": issued, "exp": issued + ttl}
    return jwt.encode(signed, secret, algorithm=_ALGORITHM)


def sign_service_token(
    secret: str,
    *,
    role: str,
    subject: str,
    ttl: timedelta = DEFAULT_TTL,
    now: datetime | None = None,
) -> str:
    """A token for `subject` acting as `role`, valid for `ttl` from `now`."""
    return sign_token(secret, subject=subject, ttl=ttl, now=now, claims={ROLE_CLAIM: role})


def bearer_metadata(token: str) -> tuple[tuple[str, str]]:
    """The call metadata that presents `token`."""
    return ((AUTHORIZATION, f"Bearer {token}"),)


@dataclass(frozen=True, slots=True)
class ServiceCaller:
    """Who a verified token says is calling, and as what."""

    subject: str
    role: str


class ServiceTokenGuard:
    """Admits a call only with a valid, unexpired token whose role is one of `roles`.

    Without a secret it refuses every call: a service deployed without ATELIER_JWT_SECRET still
    serves its other methods, and its admin methods stay shut instead of open.
    """

    def __init__(self, secret: SecretStr | None, roles: Collection[str] = ADMIN_ROLES) -> None:
        self._secret = secret.get_secret_value() if secret is not None else ""
        self._roles = frozenset(roles)

    @property
    def configured(self) -> bool:
        return bool(self._secret)

    def check(self, metadata: Metadata | None, method: str) -> ServiceCaller:
        """The verified caller; raises Unauthenticated or PermissionDenied naming what is wrong."""
        if not self._secret:
            raise Unauthenticated(
                f"{method} is refused: this service has no ATELIER_JWT_SECRET to verify "
                "service credentials with",
                reason="SERVICE_AUTH_NOT_CONFIGURED",
            )
        claims = self._verified_claims(_bearer_token(metadata, method))
        role = claims.get(ROLE_CLAIM)
        subject = str(claims.get("sub", ""))
        if not isinstance(role, str) or role not in self._roles:
            allowed = ", ".join(sorted(self._roles))
            _log.warning(
                "service call refused",
                extra={"rpc_method": method, "caller": subject, "role": role},
            )
            raise PermissionDenied(
                f"{method} needs one of the roles {allowed}; the token's role is {role!r}",
                reason="ROLE_NOT_ALLOWED",
                metadata={"role": str(role), "allowed": allowed},
            )
        _log.info(
            "service call admitted", extra={"rpc_method": method, "caller": subject, "role": role}
        )
        return ServiceCaller(subject, role)

    def _verified_claims(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                options={"require": ["exp"]},
                leeway=_LEEWAY,
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated(
                "the service token has expired; sign a new one", reason="TOKEN_EXPIRED"
            ) from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated(
                "the service token's signature does not match this service's ATELIER_JWT_SECRET",
                reason="TOKEN_SIGNATURE_INVALID",
            ) from None
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(
                f"the service token is not valid: {error}", reason="TOKEN_INVALID"
            ) from None
        return claims


def _bearer_token(metadata: Metadata | None, method: str) -> str:
    value = next((v for k, v in metadata or () if k == AUTHORIZATION), None)
    if value is None:
        raise Unauthenticated(
            f"{method} needs a service credential: {_HOW_TO}", reason="CREDENTIAL_MISSING"
        )
    text = value.decode(errors="replace") if isinstance(value, bytes) else value
    scheme, _, token = text.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            f"the authorization metadata is not a bearer token: {_HOW_TO}",
            reason="CREDENTIAL_MALFORMED",
        )
    return token.strip()
