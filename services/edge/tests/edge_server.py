"""The edge app served by a real uvicorn inside the test's event loop (streams need a socket:
an in-process ASGI transport reads a response only once it ends)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, Header, HTTPException

from atelier_edge.http_api.app import create_app
from atelier_edge.settings import EdgeSettings

ACCOUNT_HEADER = "X-Test-Account"


def header_account(x_test_account: Annotated[str | None, Header()] = None) -> str:
    """Test stand-in for sign-in: the account the request names in a header."""
    if not x_test_account:
        raise HTTPException(401, "no account")
    return x_test_account


def edge_settings(
    database_url: str, nats_url: str, prefix: str, generation_addr: str, **overrides: Any
) -> EdgeSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "nats_url": nats_url,
        "nats_prefix": prefix,
        "generation_addr": generation_addr,
        **overrides,
    }
    return EdgeSettings(**values)


@dataclass(frozen=True)
class ServedEdge:
    url: str
    app: FastAPI


@contextlib.asynccontextmanager
async def serving_edge(settings: EdgeSettings) -> AsyncIterator[ServedEdge]:
    app = create_app(settings, caller=header_account)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_config=None, access_log=False, timeout_graceful_shutdown=1, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield ServedEdge(f"http://127.0.0.1:{listener.getsockname()[1]}", app)
    finally:
        server.should_exit = True
        await task
        listener.close()
