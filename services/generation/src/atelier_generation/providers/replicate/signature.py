"""Verifies Replicate's webhooks, signed the Standard Webhooks way (`v1`, HMAC-SHA256).

Several secrets may be configured (space- or comma-separated) so a rotation never drops a
genuine callback; a message is accepted if any `v1` entry matches any secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

from atelier_generation.providers.errors import WebhookRejected

# The reference library's tolerance, both ways: a replayed or a forged-future message is refused.
TOLERANCE_S = 300


def secret_keys(configured: str) -> tuple[bytes, ...]:
    """The HMAC keys of `whsec_<base64>` secrets; ValueError naming what is wrong."""
    keys = []
    for secret in configured.replace(",", " ").split():
        encoded = secret.removeprefix("whsec_")
        try:
            keys.append(base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True))
        except (binascii.Error, ValueError):
            raise ValueError("a webhook secret is not whsec_<base64>") from None
    if not keys:
        raise ValueError("no webhook secret is configured")
    return tuple(keys)


def verify(
    keys: tuple[bytes, ...],
    headers: Mapping[str, str],
    body: bytes,
    *,
    clock: Callable[[], float] = time.time,
) -> None:
    """Returns if genuine; raises WebhookRejected otherwise."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id", "")
    timestamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not (message_id and timestamp and signatures):
        raise WebhookRejected("missing webhook-id, webhook-timestamp or webhook-signature")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRejected("webhook-timestamp is not unix seconds")
    if abs(clock() - int(timestamp)) > TOLERANCE_S:
        raise WebhookRejected("webhook-timestamp is outside the tolerance")
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = [base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()) for key in keys]
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version != "v1":
            continue
        given = signature.encode("ascii", "replace")
        if any(hmac.compare_digest(given, candidate) for candidate in expected):
            return
    raise WebhookRejected("no webhook-signature matches")
