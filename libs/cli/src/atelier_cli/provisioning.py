"""Creates what the services expect to exist: their databases, their event streams, the media bucket."""

from __future__ import annotations

from typing import Any

import boto3

from atelier_cli.platform_spec import BACKEND_SERVICES, MEDIA_BUCKET, Endpoints
from atelier_localinfra.s3_server import ACCESS_KEY, REGION, SECRET_KEY
from atelier_runtime.bus import connect, ensure_stream
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import ensure_database


async def provision(endpoints: Endpoints) -> None:
    for spec in BACKEND_SERVICES:
        if spec.owns_database:
            await ensure_database(endpoints.database_url_for(spec))
    client = await connect(endpoints.nats_url, "atelier-up")
    try:
        js = client.jetstream()
        names = BusNames()
        for spec in BACKEND_SERVICES:
            if spec.publishes_events:
                await ensure_stream(js, names, spec.name)
    finally:
        await client.close()
    _ensure_bucket(endpoints.s3_endpoint)


def _ensure_bucket(endpoint: str) -> None:
    s3: Any = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if MEDIA_BUCKET not in existing:
        s3.create_bucket(Bucket=MEDIA_BUCKET)
