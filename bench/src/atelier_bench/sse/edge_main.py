"""The edge as the SSE benchmark runs it: the real app and events route, with a benchmark sign-in
(the account named in a header) in place of tokens, which this benchmark does not measure."""

from __future__ import annotations

import resource
from typing import Annotated

import uvicorn
from fastapi import Header, HTTPException

from atelier_edge.http_api.app import create_app
from atelier_edge.settings import EdgeSettings
from atelier_runtime.logs import configure_logging
from atelier_runtime.settings import exit_on_bad_settings

ACCOUNT_HEADER = "X-Bench-Account"


def bench_account(x_bench_account: Annotated[str | None, Header()] = None) -> str:
    if not x_bench_account:
        raise HTTPException(401, "no account")
    return x_bench_account


def raise_open_files_limit() -> int:
    """Every stream is a socket: the soft limit goes up to the hard one."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def main() -> None:
    settings = exit_on_bad_settings(EdgeSettings)
    configure_logging(settings.service_name, settings.log_level)
    raise_open_files_limit()
    uvicorn.run(
        create_app(settings, caller=bench_account),
        host=settings.edge_host,
        port=settings.edge_port,
        log_config=None,
        access_log=False,
        backlog=4096,
        timeout_graceful_shutdown=1,
    )


if __name__ == "__main__":
    main()
