"""One platform for the whole session (starting five services costs seconds); tests isolate
themselves by using accounts of their own. Every test module here marks itself to run in the
session's event loop (`pytestmark`), where the platform's servers live."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from services.edge.tests.edge_platform import Platform, running_platform

from atelier_testing.ids import random_name
from atelier_testing.infrastructure import Servers


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def platform(servers: Servers) -> AsyncIterator[Platform]:
    async with running_platform(servers) as running:
        yield running


@pytest.fixture
def account() -> str:
    return random_name("acct-")
