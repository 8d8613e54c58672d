"""Rows of credits_events turned back into the domain events they store."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper, StoredEvent

# The columns `domain_event` reads, for queries to select.
EVENT_COLUMNS = "originator_id, originator_version, topic, state"


def domain_event(mapper: Mapper[UUID], row: asyncpg.Record) -> Any:
    """The recorded event of a row selecting EVENT_COLUMNS (possibly table-qualified)."""
    stored = StoredEvent(
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )
    return mapper.to_domain_event(stored)
