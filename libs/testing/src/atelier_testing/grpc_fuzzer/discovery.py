"""Finds a running server's methods and request types through gRPC server reflection."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import grpc.aio
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

# The server's own plumbing: fuzzing it tests grpcio, not the service.
PLUMBING = frozenset({"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"})
HEALTH = "grpc.health.v1.Health"
# Reflection is a handful of small answers; a server that takes longer is not answering.
DISCOVERY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Method:
    """One RPC as the fuzzer calls it: raw bytes in and out, the request type to build them."""

    service: str
    name: str
    request_type: type[Message]
    client_streaming: bool
    server_streaming: bool

    @property
    def full_name(self) -> str:
        """ "atelier.credits.v1.CreditsService/Grant", the key of caller-supplied baselines."""
        return f"{self.service}/{self.name}"


@dataclass(frozen=True)
class Discovered:
    services: tuple[str, ...]
    methods: tuple[Method, ...]


class _Reflection:
    """One reflection stream, asked one question at a time."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        self._call: Any = stub.ServerReflectionInfo(timeout=DISCOVERY_TIMEOUT_S)

    async def ask(self, **question: str) -> Any:
        await self._call.write(reflection_pb2.ServerReflectionRequest(**question))
        answer = await self._call.read()
        if answer.HasField("error_response"):
            raise LookupError(f"reflection refused {question}: {answer.error_response}")
        return answer

    async def close(self) -> None:
        await self._call.done_writing()
        self._call.cancel()


async def discover(channel: grpc.aio.Channel, *, skip: Collection[str] = PLUMBING) -> Discovered:
    """Every method of every service the server lists, except the `skip`ped services."""
    reflection = _Reflection(channel)
    try:
        listed = await reflection.ask(list_services="")
        services = tuple(s.name for s in listed.list_services_response.service)
        files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
        for name in services:
            if name not in skip:
                _collect(files, await reflection.ask(file_containing_symbol=name))
        await _fetch_missing_dependencies(reflection, files)
    finally:
        await reflection.close()
    pool = _pool(files)
    methods = [m for name in services if name not in skip for m in _methods(pool, name)]
    return Discovered(services, tuple(methods))


def _collect(files: dict[str, descriptor_pb2.FileDescriptorProto], answer: Any) -> None:
    for serialized in answer.file_descriptor_response.file_descriptor_proto:
        parsed = descriptor_pb2.FileDescriptorProto.FromString(serialized)
        files.setdefault(parsed.name, parsed)


async def _fetch_missing_dependencies(
    reflection: _Reflection, files: dict[str, descriptor_pb2.FileDescriptorProto]
) -> None:
    # grpcio's servicer sends the transitive closure; other servers send one file at a time.
    missing = _missing(files.values(), files)
    while missing:
        _collect(files, await reflection.ask(file_by_filename=missing.pop()))
        missing = _missing(files.values(), files)


def _missing(
    protos: Iterable[descriptor_pb2.FileDescriptorProto], known: Collection[str]
) -> set[str]:
    return {dep for proto in protos for dep in proto.dependency if dep not in known}


def _pool(files: dict[str, descriptor_pb2.FileDescriptorProto]) -> descriptor_pool.DescriptorPool:
    """A private pool, so the server's types never clash with the ones this process imported."""
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(name: str) -> None:
        if name in added:
            return
        for dependency in files[name].dependency:
            add(dependency)
        pool.Add(files[name])
        added.add(name)

    for name in sorted(files):
        add(name)
    return pool


def _methods(pool: descriptor_pool.DescriptorPool, service_name: str) -> list[Method]:
    service = pool.FindServiceByName(service_name)
    return [
        Method(
            service=service.full_name,
            name=method.name,
            request_type=message_factory.GetMessageClass(method.input_type),
            client_streaming=method.client_streaming,
            server_streaming=method.server_streaming,
        )
        for method in service.methods
    ]
