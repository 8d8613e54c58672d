"""Composition root of the edge: settings → logs/tracing → FastAPI app → uvicorn (graceful on SIGTERM)."""

from __future__ import annotations

import uvicorn

from atelier_edge.http_api.app import create_app
from atelier_edge.settings import EdgeSettings
from atelier_runtime.logs import configure_logging
from atelier_runtime.settings import exit_on_bad_settings
from atelier_runtime.tracing import configure_tracing


def main() -> None:
    settings = exit_on_bad_settings(EdgeSettings)
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name, settings.otel_exporter)
    uvicorn.run(
        create_app(settings),
        host=settings.edge_host,
        port=settings.edge_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_s),
    )


if __name__ == "__main__":
    main()
