"""`atelier up --scale SERVICE=N`: how many processes of each backend service to run."""

from __future__ import annotations

import re
from collections.abc import Sequence

from atelier_cli.platform_spec import BACKEND_SERVICES

# Every replica is a Python process with its own connection pool; past a handful, one machine
# runs out of cores and PostgreSQL connections long before it runs out of ports.
MAX_REPLICAS = 8
SCALABLE = tuple(spec.name for spec in BACKEND_SERVICES)
_SERVICE_EQUALS_N = re.compile(r"^(?P<service>[a-z]+)=(?P<count>[0-9]+)$")
EXPECTED_FORM = (
    f"SERVICE=N with SERVICE one of {', '.join(SCALABLE)} and N from 1 to {MAX_REPLICAS}"
)


class ScaleError(ValueError):
    """A `--scale` value that is not SERVICE=N; the message names the flag and the expected form."""


def parse_scale(values: Sequence[str]) -> dict[str, int]:
    """Replicas per backend service: 1 unless a `--scale SERVICE=N` says otherwise."""
    return {**dict.fromkeys(SCALABLE, 1), **scaled_services(values)}


def scaled_services(values: Sequence[str]) -> dict[str, int]:
    """Only the services a `--scale SERVICE=N` names, with their N."""
    scaled: dict[str, int] = {}
    for value in values:
        service, count = _one(value)
        if service in scaled:
            raise ScaleError(f"--scale names {service} more than once; give each service once")
        scaled[service] = count
    return scaled


def _one(value: str) -> tuple[str, int]:
    match = _SERVICE_EQUALS_N.match(value.strip())
    if match is None or match["service"] not in SCALABLE:
        raise ScaleError(f"--scale expects {EXPECTED_FORM}, got {value!r}")
    count = int(match["count"])
    if not 1 <= count <= MAX_REPLICAS:
        raise ScaleError(f"--scale expects {EXPECTED_FORM}, got {value!r}")
    return match["service"], count
