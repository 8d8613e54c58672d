"""A Stripe event as received: its id, type, creation time and the object it carries."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from atelier_billing.domain.errors import MalformedEvent
from atelier_billing.domain.stripe_fields import (
    JsonObject,
    as_instant,
    as_object,
    as_stripe_id,
    at,
)

MAX_BODY_BYTES = 1024 * 1024
_EVENT_TYPE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+){1,5}$")
_MAX_TYPE = 100


@dataclass(frozen=True)
class StripeEvent:
    """One event: `object` is `data.object`, the snapshot of the object when the event happened."""

    event_id: str
    type: str
    created: datetime
    object: JsonObject

    @property
    def object_id(self) -> str:
        return as_stripe_id(self.object.get("id")) or ""


def parse_event(body: bytes) -> StripeEvent:
    """The event in `body`; MalformedEvent when it is too large or not a Stripe event."""
    if len(body) > MAX_BODY_BYTES:
        raise MalformedEvent(
            f"is {len(body):,} bytes, more than the {MAX_BODY_BYTES:,} accepted",
            reason="BODY_TOO_LARGE",
        )
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers bad UTF-8 and bad JSON; absurd nesting overflows the parser's stack.
        raise MalformedEvent("is not JSON") from None
    event_id = as_stripe_id(at(document, "id"))
    event_type = at(document, "type")
    data_object = as_object(at(document, "data", "object"))
    if event_id is None or not event_id.startswith("evt_"):
        raise MalformedEvent("has no event id (`id`: evt_...)")
    if not isinstance(event_type, str) or len(event_type) > _MAX_TYPE:
        raise MalformedEvent("has no event type (`type`)")
    if not _EVENT_TYPE.fullmatch(event_type):
        raise MalformedEvent("has an event type that is not Stripe's form (`type`)")
    if data_object is None:
        raise MalformedEvent("carries no object (`data.object`)")
    created = as_instant(at(document, "created")) or datetime.fromtimestamp(0, UTC)
    return StripeEvent(event_id, event_type, created, data_object)
