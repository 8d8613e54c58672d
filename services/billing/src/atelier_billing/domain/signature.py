"""Stripe's webhook signature: HMAC-SHA256 of `<t>.<raw body>` with the endpoint secret as-is.

Every `v1` entry is compared with every configured secret in constant time (during a secret roll
Stripe signs with each active secret), and `t` must lie within the tolerance on either side of
now: Stripe's own library lets a future `t` through, which would let a captured delivery be
replayed for as long as its author chose.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from atelier_billing.domain.errors import SignatureRefused

TOLERANCE_S = 300
# A real header holds one `t` and a `v1` per active secret (and maybe a `v0`): far below these.
MAX_HEADER_CHARS = 4_096
MAX_SIGNATURES = 16
_MAX_TIMESTAMP_DIGITS = 12


@dataclass(frozen=True)
class SignatureHeader:
    """A parsed `Stripe-Signature`: the delivery's timestamp and its `v1` signatures."""

    timestamp: int
    signatures: tuple[str, ...]


def parse_header(header: str | None) -> SignatureHeader:
    """`t=...,v1=...,v1=...,v0=...`: keeps `t` and every `v1`; other schemes are ignored."""
    if not header:
        raise SignatureRefused("is missing", reason="SIGNATURE_MISSING")
    if len(header) > MAX_HEADER_CHARS:
        raise SignatureRefused(
            f"is longer than {MAX_HEADER_CHARS} characters", reason="SIGNATURE_MALFORMED"
        )
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not _is_timestamp(timestamps[0]):
        raise SignatureRefused("needs exactly one t=<unix seconds>", reason="SIGNATURE_MALFORMED")
    if not signatures:
        raise SignatureRefused("has no v1 signature", reason="SIGNATURE_MALFORMED")
    if len(signatures) > MAX_SIGNATURES:
        raise SignatureRefused(
            f"has more than {MAX_SIGNATURES} v1 signatures", reason="SIGNATURE_MALFORMED"
        )
    return SignatureHeader(int(timestamps[0]), tuple(signatures))


def _is_timestamp(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= _MAX_TIMESTAMP_DIGITS


def expected_signature(body: bytes, timestamp: int, secret: str) -> str:
    """The hex `v1` Stripe computes for `body` delivered at `timestamp`."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def verify_signature(
    body: bytes,
    header: str | None,
    secrets: Sequence[str],
    *,
    now: float,
    tolerance_s: int = TOLERANCE_S,
) -> int:
    """Returns the delivery's timestamp when some `v1` matches some secret, in time; else refuses."""
    parsed = parse_header(header)
    candidates = [expected_signature(body, parsed.timestamp, secret) for secret in secrets]
    # Every comparison runs, so the time taken says nothing about which one matched, if any.
    matched = False
    for signature in parsed.signatures:
        for candidate in candidates:
            matched |= hmac.compare_digest(signature.encode(), candidate.encode())
    if not matched:
        raise SignatureRefused(
            "no v1 signature matches the body with any configured secret",
            reason="SIGNATURE_MISMATCH",
        )
    if abs(now - parsed.timestamp) > tolerance_s:
        raise SignatureRefused(
            f"timestamp t={parsed.timestamp} is more than {tolerance_s} s from now",
            reason="SIGNATURE_TIMESTAMP_OUT_OF_TOLERANCE",
        )
    return parsed.timestamp
