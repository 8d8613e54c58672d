"""Creates what the services expect to exist: their databases, their event streams, the media bucket.

A server given by URL can answer and still refuse (a wrong password, a NATS without JetStream):
that is a configuration problem of its variable, said in one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from nats.errors import NoRespondersError
from nats.js.errors import ServiceUnavailableError

from atelier_cli.configuration_error import ConfigurationError
from atelier_cli.platform_spec import BACKEND_SERVICES, EDGE, Endpoints, SharedSettings
from atelier_runtime.bus import connect, ensure_stream
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import ensure_database
from atelier_runtime.settings_problems import shown


async def provision(
    endpoints: Endpoints, shared: SharedSettings, given: frozenset[str] = frozenset()
) -> None:
    """`given` holds the variables (ATELIER_DATABASE_URL, ...) whose servers were exported."""
    for spec in (*BACKEND_SERVICES, EDGE):
        if spec.owns_database:
            url = endpoints.database_url_for(spec)
            with _step("ATELIER_DATABASE_URL", given, f"cannot create {spec.database} on {url}"):
                await ensure_database(url)
    with _step("ATELIER_NATS_URL", given, f"cannot create the streams on {endpoints.nats_url}"):
        client = await connect(endpoints.nats_url, "atelier-up", first_connect_s=5.0)
        try:
            js = client.jetstream()
            names = BusNames()
            for spec in BACKEND_SERVICES:
                if spec.publishes_events:
                    await ensure_stream(js, names, spec.name)
        finally:
            await client.close()
    doing = f"cannot create bucket {shared.s3_bucket} at {endpoints.s3_endpoint}"
    with _step("ATELIER_S3_ENDPOINT", given, doing):
        _ensure_bucket(endpoints.s3_endpoint, shared)


@contextmanager
def _step(variable: str, given: frozenset[str], doing: str) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        text = f"{shown(doing)}: {_in_words(error)}"
        if variable in given:
            raise ConfigurationError([f"{variable}: {text}"]) from None
        raise RuntimeError(text) from None


def _in_words(error: Exception) -> str:
    if isinstance(error, NoRespondersError | ServiceUnavailableError):
        return "no JetStream answers there (nats-server runs it with -js)"
    return " ".join(str(error).split()) or type(error).__name__


def _ensure_bucket(endpoint: str, shared: SharedSettings) -> None:
    s3: Any = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=shared.s3_access_key,
        aws_secret_access_key=shared.s3_secret_key,
        region_name=shared.s3_region,
    )
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if shared.s3_bucket not in existing:
        s3.create_bucket(Bucket=shared.s3_bucket)
