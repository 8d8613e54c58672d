"""FastAPI dependencies: the caller's account on every private route, the operator gate."""

from __future__ import annotations

import math
import time
from typing import Annotated

from fastapi import Depends, Request

from atelier_edge.application.authenticator import Authenticator, NotAuthenticated, Principal
from atelier_edge.domain.token_bucket import TokenBuckets
from atelier_edge.http_api.problems import ProblemError

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="atelier"'}


async def caller(request: Request) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    try:
        principal = await authenticator.principal(request.headers.get("authorization"))
    except NotAuthenticated as refused:
        raise ProblemError(
            401, "unauthenticated", "Not signed in", str(refused), headers=_CHALLENGE
        ) from None
    _rate_limited(request, principal.account_id)
    request.state.principal = principal
    return principal


async def account_id(principal: Annotated[Principal, Depends(caller)]) -> str:
    """The signed-in account's id, for routes that need nothing else of the caller."""
    return principal.account_id


def _rate_limited(request: Request, account_id: str) -> None:
    """One token per request from the account's bucket in this process; none left is a 429."""
    buckets: TokenBuckets = request.app.state.rate_limits
    wait_s = buckets.take(account_id, time.monotonic())
    if wait_s > 0:
        raise ProblemError(
            429,
            "rate-limited",
            "Too many requests",
            "this account sends requests faster than the edge accepts",
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
        )


async def operator(principal: Annotated[Principal, Depends(caller)]) -> Principal:
    if not principal.is_operator:
        raise ProblemError(403, "forbidden", "Not allowed", "this route needs the operator role")
    return principal


Caller = Annotated[Principal, Depends(caller)]
Operator = Annotated[Principal, Depends(operator)]
