"""When a platform `atelier up` started is ready: its own edge says so, and so does every replica."""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx

from atelier_cli.replica_health import replica_health
from atelier_cli.service_processes import ServiceProcesses

READY_TIMEOUT_S = 90.0


def own_edge_ready(edge_url: str, instance_id: str) -> bool:
    """The edge at `edge_url` is ready and is the one started as `instance_id`.

    Another program answering on the port (another platform's edge, say) is never taken for ours.
    """
    try:
        response = httpx.get(f"{edge_url}/readyz", timeout=1.0)
        body = response.json() if response.status_code == 200 else {}
    except (httpx.HTTPError, ValueError):
        return False
    return isinstance(body, dict) and body.get("instance") == instance_id


def wait_until_ready(
    edge_url: str, instance_id: str, replicas: Sequence[str], services: ServiceProcesses
) -> None:
    """Returns once everything is ready; raises when a process exits or time runs out."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        services.raise_if_any_exited("exited during start")
        if own_edge_ready(edge_url, instance_id) and all(
            status == "SERVING" for status in replica_health(replicas)
        ):
            return
        time.sleep(0.2)
    raise TimeoutError(
        f"the platform was not ready within {READY_TIMEOUT_S:.0f}s; logs are in {services.logs_dir}"
    )
