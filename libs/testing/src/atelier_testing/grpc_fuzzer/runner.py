"""The run: every plan of every method, one call each, then a check that the service survived."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence

import grpc
import grpc.aio
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from atelier_testing.grpc_fuzzer.calls import Outcome, invoke
from atelier_testing.grpc_fuzzer.defaults import default_request
from atelier_testing.grpc_fuzzer.discovery import HEALTH, PLUMBING, Method, discover
from atelier_testing.grpc_fuzzer.mutation import WHOLE_REQUEST, Plan
from atelier_testing.grpc_fuzzer.options import (
    DEFAULT_MAX_REQUEST_BYTES,
    Baseline,
    Case,
    FuzzSettings,
)
from atelier_testing.grpc_fuzzer.report import Finding, FuzzReport, message_head
from atelier_testing.grpc_fuzzer.values import Trait
from atelier_testing.grpc_fuzzer.verdicts import problems
from atelier_testing.grpc_fuzzer.walk import request_plans


class _Run:
    """One fuzzing run over one channel; it fills `report` as it goes."""

    def __init__(
        self, channel: grpc.aio.Channel, baselines: Mapping[str, Baseline], settings: FuzzSettings
    ) -> None:
        self._channel = channel
        self._baselines = baselines
        self._settings = settings
        self.report = FuzzReport()

    async def fuzz(self, method: Method) -> bool:
        """Tries every plan; False once the service stops answering, so the run can end."""
        self.report.methods.append(method.full_name)
        seed = f"{self._settings.seed}:{method.full_name}"
        for plan in request_plans(method.request_type, seed):
            if not await self._case(method, plan):
                return False
        return True

    async def _case(self, method: Method, plan: Plan) -> bool:
        payload = await self._payload(method, plan)
        if payload is None:
            return True
        outcome = await invoke(
            self._channel, method, payload, self._settings.deadline_s, self._settings.metadata
        )
        self.report.cases += 1
        case = Case(method.full_name, plan.path, plan.hostile.label, plan.hostile.trait)
        found = problems(outcome, must_refuse=self._must_refuse(case))
        if case.trait is Trait.BASELINE and self._given(method) and outcome.code is not _OK:
            found.append("the caller's valid baseline was refused")
        answering = outcome.code not in _SILENT or await self.healthy()
        if not answering:
            found.append("the service stopped answering after this case")
        self._record(case, outcome, found)
        return answering

    async def _payload(self, method: Method, plan: Plan) -> bytes | None:
        """The mutated request, or None when it would exceed what the server accepts."""
        request = await self._baseline(method)
        plan.mutate(request)
        payload = request.SerializeToString()
        if len(payload) > self._settings.max_request_bytes:
            self.report.skipped.append(f"{method.full_name} {plan.path} = {plan.hostile.label}")
            return None
        return payload

    def _must_refuse(self, case: Case) -> bool:
        rule = self._settings.must_refuse
        return rule is not None and case.trait is not Trait.BASELINE and rule(case)

    def _given(self, method: Method) -> bool:
        return method.full_name in self._baselines

    async def _baseline(self, method: Method) -> Message:
        given = self._baselines.get(method.full_name)
        if given is None:
            seed = f"{self._settings.seed}:{method.full_name}"
            return default_request(method.request_type, seed)
        made = given() if callable(given) else given
        if inspect.isawaitable(made):
            made = await made
        # The caller's class and ours describe the same type from different descriptor pools.
        return method.request_type.FromString(made.SerializeToString())

    def _record(self, case: Case, outcome: Outcome, found: list[str]) -> None:
        if found:
            self.report.findings.append(
                Finding(
                    case.method,
                    case.field,
                    case.value,
                    outcome.code.name,
                    message_head(outcome.message),
                    "; ".join(found),
                )
            )

    async def still_serving(self, methods: Collection[Method]) -> None:
        """After the storm, the caller's valid requests must still succeed."""
        for method in methods:
            if not self._given(method):
                continue
            request = await self._baseline(method)
            outcome = await invoke(
                self._channel,
                method,
                request.SerializeToString(),
                self._settings.deadline_s,
                self._settings.metadata,
            )
            if outcome.code is not _OK:
                case = Case(
                    method.full_name, WHOLE_REQUEST, "baseline after fuzzing", Trait.BASELINE
                )
                self._record(case, outcome, ["a valid call failed after fuzzing"])

    async def healthy(self) -> bool:
        stub = health_pb2_grpc.HealthStub(self._channel)
        try:
            answer = await stub.Check(
                health_pb2.HealthCheckRequest(), timeout=self._settings.deadline_s
            )
        except grpc.aio.AioRpcError as error:
            # A server without the health service still answered, which is all we ask here.
            return error.code() is grpc.StatusCode.UNIMPLEMENTED
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

    async def check_invariant(self, invariant: Callable[[], Awaitable[None]]) -> None:
        try:
            await invariant()
        except Exception as broken:
            case = Case("(invariant)", WHOLE_REQUEST, "after fuzzing", Trait.BASELINE)
            # First line only: pytest appends its rewritten assertion below the message.
            summary = str(broken).splitlines()[0] if str(broken) else ""
            self._record(case, _OK_OUTCOME, [f"{type(broken).__name__}: {summary}"])


_OK = grpc.StatusCode.OK
_OK_OUTCOME = Outcome(_OK, "")
# Codes after which the service may be gone; the health check tells a hang from a dead server.
_SILENT = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


async def fuzz_service(
    address: str,
    *,
    baselines: Mapping[str, Baseline] | None = None,
    deadline_s: float = 5.0,
    seed: int = 0,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    must_refuse: Callable[[Case], bool] | None = None,
    invariant: Callable[[], Awaitable[None]] | None = None,
    skip_services: Collection[str] = PLUMBING,
    methods: Collection[str] | None = None,
    metadata: Sequence[tuple[str, str]] = (),
) -> FuzzReport:
    """Sends hostile variants of every request of every service at `address` ("host:port").

    `baselines` maps "package.Service/Method" to a valid request, or to a (possibly async)
    factory called once per case so each case can carry fresh ids; other methods start from a
    default request. `must_refuse` names cases the service must refuse with INVALID_ARGUMENT;
    `invariant` runs last and any exception it raises becomes a finding. `methods` limits the
    run to those full method names. `metadata` goes with every call (e.g. a credential).
    """
    given = {name.lstrip("/"): baseline for name, baseline in (baselines or {}).items()}
    settings = FuzzSettings(deadline_s, seed, max_request_bytes, must_refuse, tuple(metadata))
    async with grpc.aio.insecure_channel(address) as channel:
        discovered = await discover(channel, skip=skip_services)
        _check_known(given, discovered.methods)
        run = _Run(channel, given, settings)
        for method in _fuzzable(discovered.methods, methods):
            if not await run.fuzz(method):
                break
        if HEALTH in discovered.services and not await run.healthy():
            run.report.findings.append(_unhealthy())
        await run.still_serving(discovered.methods)
        if invariant is not None:
            await run.check_invariant(invariant)
    return run.report


def _fuzzable(methods: Collection[Method], chosen: Collection[str] | None) -> list[Method]:
    # Client streams have no single request to mutate; they are left to dedicated tests.
    wanted = None if chosen is None else {name.lstrip("/") for name in chosen}
    return [
        method
        for method in methods
        if not method.client_streaming and (wanted is None or method.full_name in wanted)
    ]


def _check_known(baselines: Mapping[str, Baseline], methods: Collection[Method]) -> None:
    unknown = set(baselines) - {method.full_name for method in methods}
    if unknown:
        raise ValueError(f"baselines for methods the server does not offer: {sorted(unknown)}")


def _unhealthy() -> Finding:
    return Finding(HEALTH, WHOLE_REQUEST, "health check after fuzzing", "-", "", "not SERVING")
