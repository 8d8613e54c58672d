"""A google.rpc.BadRequest listing every field at fault, for params that break their schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from google.rpc import error_details_pb2  # type: ignore[import-untyped]

from atelier_generation.domain.errors import InvalidParams


@contextmanager
def field_violations() -> Iterator[None]:
    """Wraps a use-case call: InvalidParams leaves with one violation per field, not just the first
    (the error interceptor packs the detail, and adds no BadRequest of its own beside it)."""
    try:
        yield
    except InvalidParams as error:
        error.details = (*error.details, bad_request(error))
        raise


def bad_request(error: InvalidParams) -> error_details_pb2.BadRequest:
    return error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in error.violations
        ]
    )
