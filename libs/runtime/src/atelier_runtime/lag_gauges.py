"""How far a reader of a table is behind (a relay, a projector) as two OpenTelemetry gauges."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from opentelemetry.metrics import CallbackOptions, Meter, Observation


@dataclass(frozen=True, slots=True)
class Lag:
    """Committed rows a reader has not reached yet, and how long the oldest has waited."""

    events: int
    seconds: float


def observe_lag(
    meter: Meter,
    prefix: str,
    last_lag: Callable[[], Lag | None],
    attributes: Mapping[str, str],
    behind_what: str,
) -> None:
    """Gauges `<prefix>.lag_events` and `<prefix>.lag_seconds` of the lag last measured;
    nothing while none has been."""

    def events_behind(_: CallbackOptions) -> Iterable[Observation]:
        lag = last_lag()
        return [] if lag is None else [Observation(lag.events, dict(attributes))]

    def seconds_behind(_: CallbackOptions) -> Iterable[Observation]:
        lag = last_lag()
        return [] if lag is None else [Observation(lag.seconds, dict(attributes))]

    meter.create_observable_gauge(
        f"{prefix}.lag_events",
        callbacks=[events_behind],
        unit="{event}",
        description=f"Committed events not yet {behind_what}",
    )
    meter.create_observable_gauge(
        f"{prefix}.lag_seconds",
        callbacks=[seconds_behind],
        unit="s",
        description=f"Age of the oldest committed event not yet {behind_what}",
    )
