"""`atelier status`: what runs under ATELIER_HOME and whether it is ready."""

from __future__ import annotations

import httpx

from atelier_cli.home import AtelierHome


def print_status(home: AtelierHome) -> int:
    record = home.read_record()
    try:
        ready = httpx.get(f"{record.edge_url}/readyz", timeout=2.0)
        verdict = "ready" if ready.status_code == 200 else f"not ready ({ready.text.strip()})"
    except httpx.HTTPError as error:
        verdict = f"unreachable ({error})"
    print(f"edge       {record.edge_url}  {verdict}")
    for name, address in record.services.items():
        print(f"{name:<10} {address}")
    print(f"postgres   {record.database_url}")
    print(f"nats       {record.nats_url}")
    print(f"s3         {record.s3_endpoint}")
    return 0 if verdict == "ready" else 1
