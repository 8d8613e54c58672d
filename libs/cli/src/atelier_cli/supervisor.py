"""`atelier up`: checks, infrastructure, provisioning, the service processes, readiness, a clean stop."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
from collections.abc import Callable
from contextlib import ExitStack

from atelier_cli.home import AtelierHome, PlatformRecord
from atelier_cli.infrastructure import InfrastructureUrls, start_infrastructure
from atelier_cli.platform_secret import HOME_SECRET_NAME
from atelier_cli.platform_spec import BACKEND_SERVICES, Endpoints, SharedSettings
from atelier_cli.preflight import check_listeners_and_servers, check_service_settings
from atelier_cli.provisioning import provision
from atelier_cli.readiness import wait_until_ready
from atelier_cli.service_processes import ServiceProcesses
from atelier_cli.up_settings import UpPlan, UpSettings
from atelier_localinfra import free_port
from atelier_runtime.grpc_targets import HostPort


def _say(line: str) -> None:
    print(f"atelier: {line}", flush=True)


class _Stop(BaseException):
    """Raised from the signal handler to unwind into the orderly shutdown.

    A BaseException, like KeyboardInterrupt, so no `except Exception` on the way swallows it.
    """


def _raise_stop(signum: int, _frame: object) -> None:
    raise _Stop(signal.Signals(signum).name)


def _distinct_free_ports(host: str, count: int, taken: set[int]) -> list[int]:
    # Each probe releases its port before the next, so the kernel may hand the same one out twice.
    ports: list[int] = []
    while len(ports) < count:
        port = free_port(host)
        if port not in ports and port not in taken:
            ports.append(port)
    return ports


def _endpoints(plan: UpPlan, urls: InfrastructureUrls) -> Endpoints:
    """Exported addresses where given; free ports on ATELIER_GRPC_HOST for the other replicas."""
    settings = plan.settings
    given = plan.given_addresses
    unassigned = sum(n for name, n in plan.replicas.items() if name not in given)
    providers = plan.replicas["generation"]
    taken = {a.port for addresses in given.values() for a in addresses} | {settings.edge_port}
    free = iter(_distinct_free_ports(settings.grpc_host, unassigned + providers, taken))
    addresses = {
        spec.name: given.get(spec.name)
        or tuple(HostPort(settings.grpc_host, next(free)) for _ in range(plan.replicas[spec.name]))
        for spec in BACKEND_SERVICES
    }
    return Endpoints(
        database_url=urls.database_url,
        nats_url=urls.nats_url,
        s3_endpoint=urls.s3_endpoint,
        grpc_addresses=addresses,
        edge_host=settings.edge_host,
        edge_port=settings.edge_port,
        local_provider_ports=tuple(next(free) for _ in range(providers)),
    )


def _shared(settings: UpSettings, home: AtelierHome) -> SharedSettings:
    """Exported values win; the rest is the home's secret and a fresh identity for this run."""
    jwt_secret = settings.jwt_secret
    return SharedSettings(
        jwt_secret=jwt_secret.get_secret_value() if jwt_secret else home.secret(HOME_SECRET_NAME),
        instance_id=settings.instance_id or f"atelier-{secrets.token_hex(6)}",
        s3_access_key=settings.s3_access_key,
        s3_secret_key=settings.s3_secret_key.get_secret_value(),
        s3_region=settings.s3_region,
        s3_bucket=settings.s3_bucket,
    )


def run_platform(
    home: AtelierHome,
    plan: UpPlan,
    *,
    on_ready: Callable[[PlatformRecord], None] | None = None,
) -> int:
    """Runs the platform until SIGINT/SIGTERM. Raises ConfigurationError before starting anything."""
    check_service_settings()
    home.check_writable()
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    try:
        with ExitStack() as stack:
            home.lock()
            stack.callback(home.unlock)
            try:
                # After the lock: a twin on the same home says "already running", not "port in use".
                check_listeners_and_servers(plan)
                _run(home, plan, stack, started, on_ready)
            except _Stop as stop:
                _say(f"{stop.args[0]} received, stopping")
                # A second Ctrl-C must not interrupt the orderly stop halfway.
                for sig in previous:
                    signal.signal(sig, signal.SIG_IGN)
        _say("stopped")
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(
    home: AtelierHome,
    plan: UpPlan,
    stack: ExitStack,
    started: float,
    on_ready: Callable[[PlatformRecord], None] | None,
) -> None:
    urls = start_infrastructure(home, plan.settings, stack, _say)
    endpoints = _endpoints(plan, urls)
    shared = _shared(plan.settings, home)
    asyncio.run(provision(endpoints, shared, _given_by_url(plan.settings)))
    services = ServiceProcesses(home, endpoints, shared)
    stack.callback(services.stop_all)
    services.start_all()
    record = _record(endpoints, shared, plan.settings)
    home.write_record(record)
    wait_until_ready(
        endpoints.edge_url, shared.instance_id, endpoints.every_replica_address(), services
    )
    _say(
        f"ready in {time.monotonic() - started:.1f}s: {endpoints.edge_url}  (Ctrl-C stops everything)"
    )
    if on_ready is not None:
        on_ready(record)
    while True:
        time.sleep(0.5)
        for name in services.revive_crashed():
            _say(f"{name} exited unexpectedly and was restarted")


def _given_by_url(settings: UpSettings) -> frozenset[str]:
    given = {
        "ATELIER_DATABASE_URL": settings.database_url,
        "ATELIER_NATS_URL": settings.nats_url,
        "ATELIER_S3_ENDPOINT": settings.s3_endpoint,
    }
    return frozenset(variable for variable, url in given.items() if url)


def _record(endpoints: Endpoints, shared: SharedSettings, settings: UpSettings) -> PlatformRecord:
    return PlatformRecord(
        edge_url=endpoints.edge_url,
        database_url=endpoints.database_url,
        nats_url=endpoints.nats_url,
        s3_endpoint=endpoints.s3_endpoint,
        supervisor_pid=os.getpid(),
        services={s.name: endpoints.address_list(s.name) for s in BACKEND_SERVICES},
        instance_id=shared.instance_id,
        jwt_secret_exported=settings.jwt_secret is not None,
    )
