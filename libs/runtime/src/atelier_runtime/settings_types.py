"""Field types for `ATELIER_*` settings whose check says, in words, what form is expected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from atelier_runtime.connection_urls import database_server, http_server, nats_servers


def _port_in(low: int, meaning: str) -> BeforeValidator:
    def check(value: object) -> object:
        text = str(value).strip()
        if not text.isdigit() or not low <= int(text) <= 65535:
            raise ValueError(f"must be a port number {low}-65535{meaning}")
        return int(text)

    return BeforeValidator(check)


def _checked_by(parse: Callable[[str], object]) -> AfterValidator:
    def check(value: str) -> str:
        parse(value)  # raises ValueError naming the expected form
        return value.strip()

    return AfterValidator(check)


# A listener's port, e.g. the edge's public one.
PortNumber = Annotated[int, _port_in(1, "")]
# A gRPC listener's port, where 0 asks the system for any free one.
PortOrAny = Annotated[int, _port_in(0, " (0 picks a free one)")]
DatabaseUrl = Annotated[str, _checked_by(database_server)]
NatsUrl = Annotated[str, _checked_by(nats_servers)]
HttpUrl = Annotated[str, _checked_by(http_server)]
