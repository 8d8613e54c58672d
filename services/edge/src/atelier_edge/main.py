"""Composition root of the edge: settings → logs/tracing → FastAPI app → uvicorn (graceful on SIGTERM)."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn

from atelier_edge.http_api.app import create_app, prepare_database
from atelier_edge.settings import EdgeSettings
from atelier_runtime.logs import configure_logging
from atelier_runtime.settings import exit_on_bad_settings
from atelier_runtime.tracing import configure_tracing

# Request line and headers together; a client that sends more (or never ends them) is cut off.
MAX_HEAD_BYTES = 16 * 1024


def server_options(settings: EdgeSettings) -> dict[str, Any]:
    """uvicorn's options: idle keep-alive connections are closed soon, so slow or idle clients
    cannot pin connections; the h11 parser bounds the head (the body has its own cap and
    deadline in the app)."""
    return {
        "host": settings.edge_host,
        "port": settings.edge_port,
        "http": "h11",
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
        "timeout_keep_alive": int(max(1, settings.edge_keep_alive_s)),
        "timeout_graceful_shutdown": int(settings.shutdown_grace_s),
        "log_config": None,
        "access_log": False,
    }


def main() -> None:
    settings = exit_on_bad_settings(EdgeSettings)
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otel_exporter)
    asyncio.run(prepare_database(settings))
    uvicorn.run(create_app(settings), **server_options(settings))


if __name__ == "__main__":
    main()
