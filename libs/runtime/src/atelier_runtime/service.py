"""A service process's life: settings, logs, tracing, build, serve until told, close in order."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, contextmanager
from typing import Any, TypeVar

from opentelemetry import trace

from atelier_runtime.grpc_server import GrpcServer, GrpcService
from atelier_runtime.logs import configure_logging
from atelier_runtime.metrics import configure_metrics
from atelier_runtime.settings import SettingsT, exit_on_bad_settings
from atelier_runtime.tracing import configure_tracing

logger = logging.getLogger(__name__)

T = TypeVar("T")
ReadinessCheck = Callable[[], str | None]
READINESS_INTERVAL_S = 1.0
EXIT_FAILED = 1
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ServiceScope:
    """Given to `build`: resources closed after the server stops, supervised background tasks."""

    def __init__(self, resources: AsyncExitStack, on_crash: Callable[[str], None]) -> None:
        self.resources = resources
        self._on_crash = on_crash
        self.readiness_checks: list[ReadinessCheck] = []

    def add_readiness_check(self, check: ReadinessCheck) -> None:
        """`check()` says why the service should not take calls now (None: it may); while any
        says so, health reports NOT_SERVING and balancers send its calls elsewhere."""
        self.readiness_checks.append(check)

    async def enter(self, resource: AbstractAsyncContextManager[T]) -> T:
        """Open `resource` now and close it at shutdown (last opened, first closed)."""
        return await self.resources.enter_async_context(resource)

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        """Run `work` beside the server; cancelled at shutdown, and a crash stops the service."""
        task = asyncio.create_task(work, name=name)
        task.add_done_callback(self._watch)
        self.resources.push_async_callback(_cancel_and_wait, task)
        return task

    def _watch(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        logger.error(
            "background task crashed", extra={"task": task.get_name()}, exc_info=task.exception()
        )
        self._on_crash(f"task {task.get_name()} crashed")


async def _cancel_and_wait(task: asyncio.Task[None]) -> None:
    # Cancel until it is done: a library that swallows one cancellation (asyncio.wait_for on
    # Python 3.11 can) must not keep a stopping service waiting forever.
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    await asyncio.gather(task, return_exceptions=True)


class _StopRequest:
    """Resolves on the first SIGTERM/SIGINT or crash; remembers why, for the exit status."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.reason = ""
        self.failed = False

    def request(self, reason: str, *, failed: bool = False) -> None:
        if self._event.is_set():
            logger.info("already stopping", extra={"reason": reason})
            return
        self.reason, self.failed = reason, failed
        self._event.set()

    async def wait(self) -> None:
        await self._event.wait()


BuildApp = Callable[[SettingsT, ServiceScope], Awaitable[Sequence[GrpcService]]]


async def serve(
    settings: SettingsT,
    build: BuildApp[SettingsT],
    *,
    ready: Callable[[int], None] | None = None,
    tracer_provider: trace.TracerProvider | None = None,
) -> int:
    """Build, serve until a stop signal or a crash, stop, close; returns the exit status.

    Cancelling the task running `serve` stops the server and closes resources the same way.
    """
    stop = _StopRequest()
    with _stop_signals_request(stop):
        async with AsyncExitStack() as resources:
            scope = ServiceScope(resources, lambda why: stop.request(why, failed=True))
            server = GrpcServer(
                await build(settings, scope), settings, tracer_provider=tracer_provider
            )
            port = await server.start()
            # Pushed last, so it runs first: calls finish before the resources they use close.
            resources.push_async_callback(server.stop)
            if scope.readiness_checks:
                scope.spawn(_report_readiness(server, scope.readiness_checks), name="readiness")
            logger.info("serving", extra={"port": port, "services": server.service_names})
            if ready is not None:
                ready(port)
            await stop.wait()
            logger.info("stopping", extra={"reason": stop.reason})
    logger.info("stopped")
    return EXIT_FAILED if stop.failed else 0


async def _report_readiness(server: GrpcServer, checks: Sequence[ReadinessCheck]) -> None:
    """Keeps the health status in step with the checks, logging each change once."""
    reported: str | None = None
    while True:
        problems = [problem for check in checks if (problem := check()) is not None]
        current = "; ".join(problems) or None
        if current != reported:
            if current is None:
                logger.info("ready again")
            else:
                logger.warning("not ready", extra={"reason": current})
            await server.report_ready(current is None)
            reported = current
        await asyncio.sleep(READINESS_INTERVAL_S)


@contextmanager
def _stop_signals_request(stop: _StopRequest) -> Iterator[None]:
    # Signal handlers can only be installed from the main thread; elsewhere, cancel to stop.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.request, f"signal {sig.name}")
    try:
        yield
    finally:
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)


def run_service(
    settings_cls: type[SettingsT],
    build: BuildApp[SettingsT],
    *,
    ready: Callable[[int], None] | None = None,
) -> None:
    """A service's whole `main()`: exits 2 on bad settings, 1 on failure, 0 after a clean stop."""
    settings = exit_on_bad_settings(settings_cls)
    configure_logging(settings.service_name, settings.log_level)
    provider = configure_tracing(settings.service_name, settings.otel_exporter)
    meters = configure_metrics(settings.service_name, settings.otel_exporter)
    try:
        status = asyncio.run(serve(settings, build, ready=ready))
    except Exception:
        logger.exception("service failed")
        status = EXIT_FAILED
    finally:
        provider.shutdown()
        meters.shutdown()
    sys.exit(status)
