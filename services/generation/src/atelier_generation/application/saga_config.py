"""The saga's knobs, from the service's settings (tests shorten them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from atelier_generation.providers.completion import PollSchedule


@dataclass(frozen=True)
class SagaConfig:
    # Jobs of one account running at a provider at once; the rest wait queued.
    max_running_per_account: int = 4
    # A driver's lease on a generation; renewed every third of it while driving.
    lease_s: float = 30.0
    # A freeze outlives the model's deadline by this much, so queueing and settling fit in it.
    freeze_margin_s: float = 600.0
    # How long a generation is left alone after a step failed unexpectedly (credits down).
    retry_after_s: float = 2.0
    poll_schedule: PollSchedule = field(default_factory=PollSchedule)
    # Plans whose queued work is claimed first, in this order; the other plans come after.
    plan_priority: tuple[str, ...] = ()

    def freeze_ttl(self, max_duration_s: int) -> timedelta:
        return timedelta(seconds=max_duration_s + self.freeze_margin_s)
