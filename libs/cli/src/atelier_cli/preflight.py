"""Checks `atelier up` makes before it starts anything: a problem found here leaves nothing to stop."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

from atelier_cli.configuration_error import ConfigurationError
from atelier_cli.listen_check import cannot_listen
from atelier_cli.platform_spec import BACKEND_SERVICES, EDGE, PROVIDED_VARIABLES
from atelier_cli.server_probes import (
    Greeting,
    ServerProbe,
    http_greeting,
    nats_greeting,
    postgres_greeting,
    unanswered,
)
from atelier_cli.up_settings import UpPlan
from atelier_runtime.connection_urls import database_server, http_server, nats_servers
from atelier_runtime.settings import EXIT_BAD_SETTINGS

_SETTINGS_CHECK_TIMEOUT_S = 60.0


def check_service_settings(environ: Mapping[str, str] | None = None) -> None:
    """Every service's own settings, as each would read them at start, in one short process.

    The variables up sets itself are left out: it has checked them, and the services get its
    values (an exported one among them).
    """
    env = {k: v for k, v in (environ or os.environ).items() if k not in PROVIDED_VARIABLES}
    # A stand-in for the one variable a backend requires, which up gives each at start.
    env["ATELIER_DATABASE_URL"] = "postgresql://atelier-up@127.0.0.1:5432/stand-in"
    classes = [spec.settings_class for spec in (*BACKEND_SERVICES, EDGE)]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "atelier_runtime.settings_check", *classes],
            env=env,
            capture_output=True,
            text=True,
            timeout=_SETTINGS_CHECK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"the services' settings were not checked within {_SETTINGS_CHECK_TIMEOUT_S:g} s"
        ) from None
    if result.returncode == EXIT_BAD_SETTINGS:
        raise ConfigurationError(result.stderr.splitlines())
    if result.returncode != 0:
        raise RuntimeError(f"the services' settings could not be checked:\n{result.stderr}")


def check_listeners_and_servers(plan: UpPlan) -> None:
    """Every port up will listen on is free, and every server given by URL answers."""
    problems = [*_listener_problems(plan), *unanswered(_server_probes(plan))]
    if problems:
        raise ConfigurationError(problems)


def _listener_problems(plan: UpPlan) -> list[str]:
    settings = plan.settings
    problems = []
    edge = cannot_listen(settings.edge_host, settings.edge_port)
    if edge is not None:
        variable = "ATELIER_EDGE_HOST" if edge.host_is_wrong else "ATELIER_EDGE_PORT"
        advice = "" if edge.host_is_wrong else "; stop it or set ATELIER_EDGE_PORT to a free port"
        problems.append(f"{variable}: {edge.reason}{advice}")
    for spec in BACKEND_SERVICES:
        for address in plan.given_addresses.get(spec.name, ()):
            problem = cannot_listen(address.host, address.port)
            if problem is not None:
                problems.append(f"{spec.address_variable}: {problem.reason}")
    if len(plan.given_addresses) < len(BACKEND_SERVICES):
        # The other backends get free ports on ATELIER_GRPC_HOST.
        host = cannot_listen(settings.grpc_host, 0)
        if host is not None:
            problems.append(f"ATELIER_GRPC_HOST: {host.reason}")
    return problems


def _server_probes(plan: UpPlan) -> list[ServerProbe]:
    settings = plan.settings
    probes = []
    if settings.database_url:
        server = database_server(settings.database_url)
        probes.append(
            ServerProbe("ATELIER_DATABASE_URL", "PostgreSQL", [server], postgres_greeting)
        )
    if settings.nats_url:
        # A NATS server greets in plain text first, even one that asks for TLS next.
        servers = nats_servers(settings.nats_url)
        websocket = urlsplit(settings.nats_url.split(",")[0].strip()).scheme in ("ws", "wss")
        greeting: Greeting | None = None if websocket else nats_greeting
        probes.append(ServerProbe("ATELIER_NATS_URL", "NATS", servers, greeting))
    if settings.s3_endpoint:
        secure = urlsplit(settings.s3_endpoint.strip()).scheme == "https"
        greeting = None if secure else http_greeting
        probes.append(
            ServerProbe("ATELIER_S3_ENDPOINT", "S3", [http_server(settings.s3_endpoint)], greeting)
        )
    return probes
