"""The billing domain's typed failures; the wire mapping lives in the runtime's one error table."""

from __future__ import annotations

from atelier_runtime.errors import FailedPrecondition, InvalidArgument

SIGNATURE_FIELD = "headers.stripe-signature"
BODY_FIELD = "body"


class PlanProblem(Exception):
    """A rule of the plans file is broken at `where` (a key path such as `plans.pro.price_id`)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class InvalidValue(InvalidArgument):
    """A request field outside its documented bounds; names the field."""

    def __init__(self, field: str, problem: str, *, reason: str) -> None:
        super().__init__(f"{field}: {problem}", reason=reason, metadata={"field": field})


class SignatureRefused(InvalidValue):
    """The `Stripe-Signature` header is missing, malformed, stale, from the future or wrong."""

    def __init__(self, problem: str, *, reason: str) -> None:
        super().__init__(SIGNATURE_FIELD, problem, reason=reason)


class MalformedEvent(InvalidValue):
    """A body that is too large, or not a Stripe event (JSON with an id, a type and an object)."""

    def __init__(self, problem: str, *, reason: str = "MALFORMED_EVENT") -> None:
        super().__init__(BODY_FIELD, problem, reason=reason)


class WebhookSecretMissing(FailedPrecondition):
    """No ATELIER_STRIPE_WEBHOOK_SECRET: no event can be verified, so none is accepted."""

    def __init__(self) -> None:
        super().__init__(
            "no Stripe webhook secret is configured (ATELIER_STRIPE_WEBHOOK_SECRET): "
            "events cannot be verified, so none is accepted",
            reason="STRIPE_WEBHOOK_SECRET_NOT_CONFIGURED",
        )
