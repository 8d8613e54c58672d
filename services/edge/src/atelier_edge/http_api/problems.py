"""RFC 9457 problem details: every error the edge returns has this shape and a stable `type`."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

PROBLEM_BASE = "https://atelier.dev/problems/"


def problem(status: int, kind: str, title: str, detail: str = "", **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_BASE + kind, "title": title, "status": status, **extra}
    if detail:
        body["detail"] = detail
    return JSONResponse(body, status_code=status, media_type="application/problem+json")
