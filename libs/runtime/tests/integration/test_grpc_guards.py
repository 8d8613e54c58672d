"""A guarded service on a real gRPC server: every method checked, other services untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import grpc.aio
import pytest
from google.protobuf.struct_pb2 import Struct
from pydantic import SecretStr

from atelier_runtime.grpc_client import channel
from atelier_runtime.grpc_errors import error_details
from atelier_runtime.grpc_server import GrpcServer, GrpcService
from atelier_runtime.service_auth import ServiceTokenGuard, bearer_metadata, sign_service_token
from atelier_runtime.settings import ServiceSettings

ADMIN = "atelier.test.v1.AdminService"
PUBLIC = "atelier.test.v1.PublicService"
SECRET = "guard-test-secret-0123456789abcdef0123"
CALLS: list[str] = []


async def wipe(request: Struct, context: grpc.aio.ServicerContext[Any, Any]) -> Struct:
    CALLS.append("wipe")
    return Struct()


async def progress(
    request: Struct, context: grpc.aio.ServicerContext[Any, Any]
) -> AsyncIterator[Struct]:
    CALLS.append("progress")
    yield Struct()


def handlers(service: str, behaviors: dict[str, Any]) -> GrpcService:
    def add(server: grpc.aio.Server) -> None:
        methods = {
            name: factory(
                behavior,
                request_deserializer=Struct.FromString,
                response_serializer=Struct.SerializeToString,
            )
            for name, (factory, behavior) in behaviors.items()
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, methods),))

    return GrpcService(
        service, add, ServiceTokenGuard(SecretStr(SECRET)) if service == ADMIN else None
    )


@pytest.fixture
async def client() -> AsyncIterator[grpc.aio.Channel]:
    CALLS.clear()
    settings = ServiceSettings(service_name="ledger", shutdown_drain_s=0, shutdown_grace_s=1)
    unary, stream = grpc.unary_unary_rpc_method_handler, grpc.unary_stream_rpc_method_handler
    services = [
        handlers(
            ADMIN,
            {"Wipe": (unary, wipe), "Progress": (stream, progress)},
        ),
        handlers(PUBLIC, {"Wipe": (unary, wipe)}),
    ]
    server = GrpcServer(services, settings)
    await server.start()
    try:
        async with channel(f"127.0.0.1:{server.port}") as opened:
            yield opened
    finally:
        await server.stop()


def operator_token(secret: str = SECRET, role: str = "operator") -> Any:
    return bearer_metadata(sign_service_token(secret, role=role, subject="test"))


async def call(client: grpc.aio.Channel, path: str, **kwargs: Any) -> list[Struct]:
    if path.endswith("/Progress"):
        stream = client.unary_stream(
            path,
            request_serializer=Struct.SerializeToString,
            response_deserializer=Struct.FromString,
        )
        return [reply async for reply in stream(Struct(), **kwargs)]
    unary = client.unary_unary(
        path, request_serializer=Struct.SerializeToString, response_deserializer=Struct.FromString
    )
    return [await unary(Struct(), **kwargs)]


async def refused(client: grpc.aio.Channel, path: str, **kwargs: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(client, path, **kwargs)
    return caught.value


@pytest.mark.parametrize("method", ["Wipe", "Progress"])
async def test_every_method_of_a_guarded_service_needs_a_credential(
    client: grpc.aio.Channel, method: str
) -> None:
    error = await refused(client, f"/{ADMIN}/{method}")

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert "authorization: Bearer <JWT>" in (error.details() or "")
    info, _ = error_details(error)
    assert info is not None
    assert (info.reason, info.domain) == ("CREDENTIAL_MISSING", "atelier.ledger")
    assert CALLS == []


@pytest.mark.parametrize("method", ["Wipe", "Progress"])
async def test_a_valid_operator_token_reaches_the_method(
    client: grpc.aio.Channel, method: str
) -> None:
    assert len(await call(client, f"/{ADMIN}/{method}", metadata=operator_token())) == 1
    assert [method.lower()] == CALLS


async def test_a_token_of_another_secret_is_unauthenticated(client: grpc.aio.Channel) -> None:
    error = await refused(
        client, f"/{ADMIN}/Progress", metadata=operator_token("other-secret-0123456789abcdef0123")
    )

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert CALLS == []


async def test_a_user_token_is_permission_denied(client: grpc.aio.Channel) -> None:
    error = await refused(client, f"/{ADMIN}/Wipe", metadata=operator_token(role="user"))

    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert CALLS == []


async def test_services_without_a_guard_need_no_credential(client: grpc.aio.Channel) -> None:
    await call(client, f"/{PUBLIC}/Wipe")

    assert CALLS == ["wipe"]
