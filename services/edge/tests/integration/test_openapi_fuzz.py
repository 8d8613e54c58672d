"""Schemathesis against the running edge's /openapi.json, as a signed-in account with credits:
no answer is a 5xx, and every answer matches the document (status, content type, body schema).

The edge lives in the session's event loop, so the (synchronous) fuzzing runs in a thread while
that loop keeps serving."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from services.edge.tests.edge_platform import Platform

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
# Webhooks are signed by Stripe, and tested with its signatures elsewhere.
SKIPPED_PATHS = ("/v1/webhooks/",)
MAX_EXAMPLES = 8


def fuzz(url: str, token: str) -> tuple[list[str], set[str]]:
    """The failures, and the operations that were called at least once."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    called: set[str] = set()
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an Err raises here, as it should
        if operation.path.startswith(SKIPPED_PATHS):
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)
            called.add(f"{case.method} {case.path}")

        try:
            check()
        except Exception as failure:
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}"[:2000])
    return failures, called


async def test_the_api_answers_as_its_document_says(platform: Platform, account: str) -> None:
    await platform.grant(account, 1000)
    # A rate the fuzzing cannot exhaust, so every answer comes from the route under test.
    failures, called = await asyncio.to_thread(fuzz, platform.edge_url, platform.token(account))

    assert failures == [], "\n\n".join(failures)
    assert {"POST /v1/generations", "GET /v1/me", "GET /v1/media/{media_id}"} <= called
