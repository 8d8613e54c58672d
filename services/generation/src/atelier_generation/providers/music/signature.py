"""Verifies a task callback as kie.ai signs them: `X-Webhook-Timestamp` (unix seconds) and
`X-Webhook-Signature` = base64(HMAC-SHA256(key, "<taskId>.<timestamp>")).

The signature covers the task id and the time, not the body: a genuine callback proves which
task moved, and its contents are a hint that a poll confirms.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from atelier_generation.providers.errors import WebhookRejected

TOLERANCE_S = 300


def verify(headers: Mapping[str, str], task_id: str, secret: str, now: float | None = None) -> None:
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp = lowered.get("x-webhook-timestamp", "")
    given = lowered.get("x-webhook-signature", "")
    if not timestamp.isdigit() or not given:
        raise WebhookRejected("missing or malformed X-Webhook-Timestamp / X-Webhook-Signature")
    moment = time.time() if now is None else now
    if abs(moment - int(timestamp)) > TOLERANCE_S:
        raise WebhookRejected("the callback's timestamp is outside the 5-minute tolerance")
    digest = hmac.new(secret.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise WebhookRejected("the callback's signature does not match")
