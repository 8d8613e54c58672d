"""Fixtures of the credits integration tests: a pool on a fresh, migrated credits database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from services.credits.tests.integration.projection_support import migrated_pool

from atelier_runtime.db import DbPool


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[DbPool]:
    async with migrated_pool(database_url) as migrated:
        yield migrated
