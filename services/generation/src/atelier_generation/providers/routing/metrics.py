"""What operators watch of the router: retries, fallbacks taken, and each provider's cool-down."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

from atelier_generation.providers.routing.breaker import BreakerState

# 0 closed, 1 half-open (probing), 2 open (cooling down): a gauge that graphs as "how bad".
_LEVEL = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}
States = Callable[[], Iterable[tuple[str, BreakerState]]]


class RouterMetrics:
    def __init__(self, meter_provider: MeterProvider | None = None) -> None:
        meter = metrics.get_meter("atelier.generation", meter_provider=meter_provider)
        self._retries = meter.create_counter(
            "atelier.generation.provider.retries", description="Submits sent again, by provider"
        )
        self._fallbacks = meter.create_counter(
            "atelier.generation.provider.fallbacks",
            description="Generations run on a fallback model, by the provider left and the one used",
        )
        self._opened = meter.create_counter(
            "atelier.generation.provider.cooldowns", description="Times a provider was cooled down"
        )
        self._meter = meter

    def observe(self, states: States) -> None:
        """Reports each provider's breaker state whenever metrics are collected."""

        def observed(_: CallbackOptions) -> Iterable[Observation]:
            return [Observation(_LEVEL[state], {"provider": name}) for name, state in states()]

        self._meter.create_observable_gauge(
            "atelier.generation.provider.cooldown_state",
            callbacks=[observed],
            description="0 closed, 1 half-open, 2 open (cooling down)",
        )

    def retried(self, provider: str, code: str) -> None:
        self._retries.add(1, {"provider": provider, "error": code})

    def fell_back(self, left: str, used: str) -> None:
        self._fallbacks.add(1, {"from": left, "to": used})

    def cooled_down(self, provider: str) -> None:
        self._opened.add(1, {"provider": provider})
