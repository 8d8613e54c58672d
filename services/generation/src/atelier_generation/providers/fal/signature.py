"""Verifies fal's webhooks: Ed25519 over "{request id}\n{user id}\n{timestamp}\n{sha256 hex of
the body}", against any key of fal's published JWKS, within a timestamp tolerance."""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from atelier_generation.providers.errors import WebhookRejected

TOLERANCE_S = 300
_HEADERS = ("x-fal-webhook-request-id", "x-fal-webhook-user-id", "x-fal-webhook-timestamp")


def public_keys(jwks: Any) -> tuple[Ed25519PublicKey, ...]:
    """The Ed25519 keys of a JWKS document; other keys are skipped."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    found = []
    for key in keys if isinstance(keys, list) else []:
        if not isinstance(key, dict) or key.get("kty") != "OKP" or key.get("crv") != "Ed25519":
            continue
        x = key.get("x")
        if not isinstance(x, str):
            continue
        try:
            raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
            found.append(Ed25519PublicKey.from_public_bytes(raw))
        except (binascii.Error, ValueError):
            continue
    return tuple(found)


def verify(
    keys: tuple[Ed25519PublicKey, ...],
    headers: Mapping[str, str],
    body: bytes,
    *,
    clock: Callable[[], float] = time.time,
) -> str:
    """The request id of a genuine webhook; WebhookRejected otherwise."""
    lowered = {name.lower(): value for name, value in headers.items()}
    request_id, user_id, timestamp = (lowered.get(name, "") for name in _HEADERS)
    signature_hex = lowered.get("x-fal-webhook-signature", "")
    if not (request_id and user_id and timestamp and signature_hex):
        raise WebhookRejected("missing X-Fal-Webhook-* headers")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRejected("X-Fal-Webhook-Timestamp is not unix seconds")
    if abs(clock() - int(timestamp)) > TOLERANCE_S:
        raise WebhookRejected("X-Fal-Webhook-Timestamp is outside the tolerance")
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        raise WebhookRejected("X-Fal-Webhook-Signature is not hex") from None
    message = f"{request_id}\n{user_id}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"
    for key in keys:
        try:
            key.verify(signature, message.encode())
            return request_id
        except InvalidSignature:
            continue
    raise WebhookRejected("no fal key verifies X-Fal-Webhook-Signature")
