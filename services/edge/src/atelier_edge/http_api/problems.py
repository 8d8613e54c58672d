"""RFC 9457 problem details: every error the edge returns has this shape and a stable `type`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

PROBLEM_BASE = "https://atelier.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem(status: int, kind: str, title: str, detail: str = "", **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_BASE + kind, "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


class ProblemError(Exception):
    """Raised by routes and dependencies; the app turns it into the problem response."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str = "",
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(title)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self) -> JSONResponse:
        answer = problem(self.status, self.kind, self.title, self.detail, **self.extra)
        answer.headers.update(self.headers)
        return answer


class FieldError(BaseModel):
    field: str
    problem: str


class Problem(BaseModel):
    """The body of every error (documented so clients and schema checks know its shape)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


_MEANINGS = {
    400: "malformed request (e.g. a missing or malformed Idempotency-Key)",
    401: "no valid credential; see WWW-Authenticate",
    402: "not enough credits: `available` and `required`",
    403: "not allowed",
    404: "not found, or not this account's",
    409: "a conflict, e.g. the same Idempotency-Key still in flight",
    413: "the body is larger than the edge accepts",
    422: "invalid request: `errors` names each field at fault",
    429: "too many requests; see Retry-After",
    502: "a backend failed to answer",
    503: "a backend is unavailable; see Retry-After",
}
COMMON = (401, 413, 422, 429, 502, 503)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these statuses (plus the ones every route can answer)."""
    return {
        status: {
            "description": _MEANINGS[status],
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in sorted({*COMMON, *statuses})
    }
