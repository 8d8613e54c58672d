"""The priority hint a provider may take with a submit: the account's plan and its rank.

Adapters whose provider has queue priorities implement `PrioritySubmit` (fal, for one, takes
"normal" or "low"); the saga hands the hint to those and plainly submits to the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from atelier_generation.domain.catalogue import Model
from atelier_generation.domain.plan_priority import Priority
from atelier_generation.providers.job import ProviderJob

__all__ = ["Priority", "PrioritySubmit"]


@runtime_checkable
class PrioritySubmit(Protocol):
    async def submit_with_priority(
        self, model: Model, params: Mapping[str, Any], priority: Priority
    ) -> ProviderJob:
        """Starts a job as `submit` does, placed in the provider's queue by `priority`."""
        ...
