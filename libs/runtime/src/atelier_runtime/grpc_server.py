"""A grpc.aio server with health, reflection, tracing, error mapping and a draining stop."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import grpc.aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry import trace

from atelier_runtime.grpc_deadlines import DeadlineInterceptor
from atelier_runtime.grpc_errors import ErrorInterceptor, error_domain
from atelier_runtime.grpc_guards import CallGuard, GuardInterceptor
from atelier_runtime.settings import ServiceSettings
from atelier_runtime.tracing import server_interceptor

logger = logging.getLogger(__name__)

ServicerT = TypeVar("ServicerT")

_SERVER_OPTIONS = [
    # Without this, Linux lets a second server bind the same port and steal half the calls.
    ("grpc.so_reuseport", 0),
    # Clients balancing over a DNS name (a headless Service) look it up again only when a
    # connection closes; closing each one after a minute lets them find replicas added since.
    # Calls in flight finish first (no age grace limit), and new ones move to other connections.
    ("grpc.max_connection_age_ms", 60_000),
]


@dataclass(frozen=True)
class GrpcService:
    """One servicer to mount: its full proto name (for health and reflection), how to add it,
    and the guard every call to it must pass (admin services), if any."""

    name: str
    add_to_server: Callable[[grpc.aio.Server], None]
    guard: CallGuard | None = None

    @classmethod
    def of(
        cls,
        name: str,
        add: Callable[[ServicerT, grpc.aio.Server], None],
        servicer: ServicerT,
        *,
        guard: CallGuard | None = None,
    ) -> GrpcService:
        """From generated code: `GrpcService.of(NAME, add_FooServicer_to_server, FooServicer())`."""
        return cls(name, functools.partial(add, servicer), guard)


class GrpcServer:
    """Serves the given services; `stop()` drains before it stops so no accepted call is lost."""

    def __init__(
        self,
        services: Sequence[GrpcService],
        settings: ServiceSettings,
        *,
        tracer_provider: trace.TracerProvider | None = None,
    ) -> None:
        self._services = tuple(services)
        self._settings = settings
        self._health = health.aio.HealthServicer()
        # Order matters: the tracing span is outermost, so error logs carry its trace id; guards
        # are innermost, so a refusal is mapped to its status like any other business error.
        guards = {s.name: s.guard for s in services if s.guard is not None}
        interceptors = [
            server_interceptor(tracer_provider),
            DeadlineInterceptor(),
            ErrorInterceptor(error_domain(settings.service_name)),
            GuardInterceptor(guards),
        ]
        self._server = grpc.aio.server(interceptors=interceptors, options=_SERVER_OPTIONS)
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The bound port (the chosen one when the settings asked for port 0)."""
        if self._port is None:
            raise RuntimeError("the server has not been started")
        return self._port

    @property
    def service_names(self) -> list[str]:
        """Full names of the application services (without health and reflection)."""
        return [service.name for service in self._services]

    async def start(self) -> int:
        """Mount everything, bind, start serving and report SERVING; returns the bound port."""
        for service in self._services:
            service.add_to_server(self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        reflection.enable_server_reflection(
            [*self.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self._server
        )
        address = _address(self._settings.grpc_host, self._settings.grpc_port)
        self._port = self._server.add_insecure_port(address)
        if not self._port:
            raise RuntimeError(f"could not bind gRPC server to {address}")
        await self._server.start()
        for name in ("", *self.service_names):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        return self._port

    async def report_ready(self, ready: bool) -> None:
        """SERVING or NOT_SERVING for every service; ignored once a graceful stop has begun."""
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if ready
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *self.service_names):
            await self._health.set(name, status)

    async def stop(self, grace: float | None = None) -> None:
        """NOT_SERVING first, wait for balancers to notice, then finish in-flight calls and stop."""
        await self._health.enter_graceful_shutdown()
        logger.info("draining", extra={"drain_s": self._settings.shutdown_drain_s})
        await asyncio.sleep(self._settings.shutdown_drain_s)
        grace_s = self._settings.shutdown_grace_s if grace is None else grace
        await self._server.stop(grace_s)

    async def wait_for_termination(self) -> None:
        """Return once the server has stopped."""
        await self._server.wait_for_termination()


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
