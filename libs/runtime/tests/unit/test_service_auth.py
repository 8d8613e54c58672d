"""Service tokens: who may call an admin method, and what every refusal says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import SecretStr

from atelier_runtime.errors import AtelierError, PermissionDenied, Unauthenticated
from atelier_runtime.service_auth import (
    ADMIN_ROLES,
    ServiceCaller,
    ServiceTokenGuard,
    bearer_metadata,
    sign_service_token,
)

SECRET = "s3cret-of-this-platform-0123456789abcdef"
METHOD = "/atelier.test.v1.AdminService/Rebuild"
guard = ServiceTokenGuard(SecretStr(SECRET), ADMIN_ROLES)


def token(role: str = "operator", **kwargs: object) -> str:
    return sign_service_token(SECRET, role=role, subject="atelier-cli", **kwargs)  # type: ignore[arg-type]


def refusal(metadata: object) -> AtelierError:
    with pytest.raises(AtelierError) as caught:
        guard.check(metadata, METHOD)  # type: ignore[arg-type]
    return caught.value


def test_an_operator_token_signed_with_the_secret_is_admitted() -> None:
    assert guard.check(bearer_metadata(token()), METHOD) == ServiceCaller("atelier-cli", "operator")


def test_a_service_token_is_admitted_too() -> None:
    assert guard.check(bearer_metadata(token("service")), METHOD).role == "service"


def test_the_bearer_scheme_is_case_insensitive_and_bytes_values_are_read() -> None:
    metadata = (("authorization", f"bearer {token()}".encode()),)

    assert guard.check(metadata, METHOD).subject == "atelier-cli"


def test_no_credential_is_unauthenticated_and_says_how_to_send_one() -> None:
    error = refusal((("x-other", "1"),))

    assert isinstance(error, Unauthenticated)
    assert error.reason == "CREDENTIAL_MISSING"
    assert "authorization: Bearer <JWT>" in error.message


def test_a_credential_that_is_not_a_bearer_token_is_unauthenticated() -> None:
    error = refusal((("authorization", f"Basic {token()}"),))

    assert (type(error), error.reason) == (Unauthenticated, "CREDENTIAL_MALFORMED")


def test_a_token_signed_with_another_secret_is_unauthenticated() -> None:
    forged = sign_service_token("another-secret-0123456789abcdef0123", role="operator", subject="x")

    error = refusal(bearer_metadata(forged))

    assert (type(error), error.reason) == (Unauthenticated, "TOKEN_SIGNATURE_INVALID")


def test_an_expired_token_is_unauthenticated() -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)

    error = refusal(bearer_metadata(token(now=an_hour_ago)))

    assert (type(error), error.reason) == (Unauthenticated, "TOKEN_EXPIRED")
    assert "expired" in error.message


def test_a_token_without_expiry_is_unauthenticated() -> None:
    forever = jwt.encode({"sub": "x", "role": "operator"}, SECRET, algorithm="HS256")

    error = refusal(bearer_metadata(forever))

    assert (type(error), error.reason) == (Unauthenticated, "TOKEN_INVALID")
    assert "exp" in error.message


def test_an_unsigned_token_is_unauthenticated() -> None:
    unsigned = jwt.encode(
        {"role": "operator", "exp": datetime.now(UTC) + timedelta(minutes=1)}, "", "none"
    )

    assert isinstance(refusal(bearer_metadata(unsigned)), Unauthenticated)


def test_garbage_is_unauthenticated() -> None:
    assert refusal(bearer_metadata("not.a.jwt")).reason == "TOKEN_INVALID"


def test_a_user_role_is_permission_denied_and_names_the_roles_needed() -> None:
    error = refusal(bearer_metadata(token("user")))

    assert isinstance(error, PermissionDenied)
    assert error.reason == "ROLE_NOT_ALLOWED"
    assert "operator, service" in error.message
    assert "'user'" in error.message


def test_a_token_without_a_role_is_permission_denied() -> None:
    anyone = jwt.encode(
        {"sub": "acct-1", "exp": datetime.now(UTC) + timedelta(minutes=1)}, SECRET, "HS256"
    )

    assert isinstance(refusal(bearer_metadata(anyone)), PermissionDenied)


def test_a_role_that_is_not_a_string_is_permission_denied() -> None:
    odd = jwt.encode(
        {"role": ["operator"], "exp": datetime.now(UTC) + timedelta(minutes=1)}, SECRET, "HS256"
    )

    assert isinstance(refusal(bearer_metadata(odd)), PermissionDenied)


@pytest.mark.parametrize("secret", [None, SecretStr("")])
def test_without_a_secret_every_call_is_refused(secret: SecretStr | None) -> None:
    unconfigured = ServiceTokenGuard(secret)

    with pytest.raises(Unauthenticated) as caught:
        unconfigured.check(bearer_metadata(token()), METHOD)

    assert not unconfigured.configured
    assert caught.value.reason == "SERVICE_AUTH_NOT_CONFIGURED"
    assert "ATELIER_JWT_SECRET" in caught.value.message
