"""Typed provider failures, classified for billing and retries.

A user fault (invalid input, content policy) rolls the credits back and is never retried: the same
request would fail again. A provider fault (5xx, timeout, rate limit, the provider's own quota or
auth) is retried or failed over and never billed. Every adapter raises or reports these, whatever
the provider's own error shapes are.

`may_have_started` says whether a failed submit may still have started a job that the provider
bills us for: a timeout waiting for the answer, a connection dropped after the request was sent,
a gateway error (502, 504) in front of the provider. Such a submit is never sent again, to this
provider or a fallback: a second job could be paid twice. A refusal the provider answered (429,
503, 401, 402, a 4xx) or a connection that never opened started nothing and may be retried.
Each class has the usual answer as its default; an adapter overrides it where it knows better
(see `transport_fault`).
"""

from __future__ import annotations

import enum


class Fault(enum.StrEnum):
    """Whose fault a failure is: it decides retries and who pays."""

    USER = "user"
    PROVIDER = "provider"


class ProviderError(Exception):
    """A provider call or job that failed; `code` is a stable name for logs and events."""

    fault: Fault = Fault.PROVIDER
    code: str = "provider_error"
    may_have_started: bool = False

    def __init__(
        self, message: str, *, provider: str = "", may_have_started: bool | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        if may_have_started is not None:
            self.may_have_started = may_have_started

    @property
    def retryable(self) -> bool:
        return self.fault is Fault.PROVIDER


class UserFault(ProviderError):
    """The request's own fault: never retried, the credits are rolled back."""

    fault = Fault.USER
    code = "user_fault"


class InvalidInput(UserFault):
    """The provider refused the input (a bad value, an unreadable input file)."""

    code = "invalid_input"


class ContentPolicy(UserFault):
    """The prompt, an input or the output broke the provider's content policy."""

    code = "content_policy"


class ProviderFault(ProviderError):
    """The provider's fault: retried or failed over, never billed."""

    code = "provider_fault"


class ProviderUnavailable(ProviderFault):
    """A 5xx, a refused connection, or a job the provider lost."""

    code = "provider_unavailable"


class ProviderTimeout(ProviderFault):
    """No answer within the call's timeout, or no result within the model's deadline."""

    code = "provider_timeout"
    # Sent, then no answer: the provider may be running the job.
    may_have_started = True


class RateLimited(ProviderFault):
    """Too many requests; `retry_after` (seconds) is the provider's own hint when it gave one."""

    code = "rate_limited"

    def __init__(
        self, message: str, *, provider: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, provider=provider, may_have_started=False)
        self.retry_after = retry_after


class ProviderQuotaExceeded(ProviderFault):
    """Our account at the provider is out of credit or quota."""

    code = "provider_quota"


class ProviderAuthFailed(ProviderFault):
    """The provider refused our key: a configuration problem, not the user's."""

    code = "provider_auth"


class JobCanceled(Exception):
    """The job was canceled (by us or at the provider) before it finished."""


class WebhookRejected(Exception):
    """A webhook that is not from the provider (bad signature) or that cannot be understood."""
