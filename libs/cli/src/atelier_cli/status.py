"""`atelier status`: what runs under ATELIER_HOME, replica by replica, and whether it is ready."""

from __future__ import annotations

import httpx

from atelier_cli.home import AtelierHome, PlatformRecord
from atelier_cli.platform_access import replicas
from atelier_cli.replica_health import replica_health

EXIT_READY = 0
EXIT_NOT_READY = 1


def _edge_verdict(edge_url: str, instance_id: str) -> str:
    try:
        ready = httpx.get(f"{edge_url}/readyz", timeout=2.0)
        answered = ready.json().get("instance")
    except httpx.HTTPError as error:
        return f"unreachable ({error})"
    except (ValueError, AttributeError):
        answered = None
    if instance_id and answered != instance_id:
        return "not this platform's edge: another server answers on its port"
    return "ready" if ready.status_code == 200 else f"not ready ({ready.text.strip()})"


def _replica_rows(record: PlatformRecord) -> list[tuple[str, str, str]]:
    """(name, address, health) of every backend replica, each asked directly."""
    listed = [replica for service in record.services for replica in replicas(record, service)]
    health = replica_health([address for _, address in listed])
    return [(name, address, status) for (name, address), status in zip(listed, health, strict=True)]


def print_status(home: AtelierHome) -> int:
    """Exit 0 when the edge is ready and every replica is SERVING, 1 otherwise."""
    record = home.read_record()
    edge = _edge_verdict(record.edge_url, record.instance_id)
    rows = [("edge", record.edge_url, edge), *_replica_rows(record)]
    width = max(10, *(len(name) for name, _, _ in rows))
    address_width = max(len(address) for _, address, _ in rows)
    for name, address, health in rows:
        print(f"{name:<{width}} {address:<{address_width}}  {health}")
    print(f"{'postgres':<{width}} {record.database_url}")
    print(f"{'nats':<{width}} {record.nats_url}")
    print(f"{'s3':<{width}} {record.s3_endpoint}")
    ready = edge == "ready" and all(health == "SERVING" for _, _, health in rows[1:])
    return EXIT_READY if ready else EXIT_NOT_READY
