"""A server-streaming service declared at run time, so the fuzzer meets bytes, repeated, map,
oneof, enum and nested fields without any generated code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, duration_pb2, message_factory
from google.protobuf import timestamp_pb2 as _timestamp
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from libs.testing.tests.fuzz_targets import refuse_hostile

PACKAGE = "atelier.fuzztest.v1"
FEED = f"{PACKAGE}.Feed"
FOLLOW = f"{FEED}/Follow"
_F = descriptor_pb2.FieldDescriptorProto
_OPTIONAL, _REPEATED = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED


def _field(name: str, number: int, kind: Any, type_name: str | None = None, **more: Any) -> Any:
    # type_name is a proto2 field: present-but-empty would mean "a type named ''".
    if type_name is not None:
        more["type_name"] = type_name
    return _F(name=name, number=number, type=kind, label=more.pop("label", _OPTIONAL), **more)


def _follow_request() -> descriptor_pb2.DescriptorProto:
    labels = descriptor_pb2.DescriptorProto(
        name="LabelsEntry",
        field=[_field("key", 1, _F.TYPE_STRING), _field("value", 2, _F.TYPE_STRING)],
        options=descriptor_pb2.MessageOptions(map_entry=True),
    )
    entry, ts = f".{PACKAGE}.FollowRequest.LabelsEntry", ".google.protobuf.Timestamp"
    return descriptor_pb2.DescriptorProto(
        name="FollowRequest",
        field=[
            _field("topic", 1, _F.TYPE_STRING),
            _field("cursor", 2, _F.TYPE_BYTES),
            _field("tags", 3, _F.TYPE_STRING, label=_REPEATED),
            _field("since", 4, _F.TYPE_MESSAGE, ts),
            _field("labels", 5, _F.TYPE_MESSAGE, entry, label=_REPEATED),
            _field("number", 6, _F.TYPE_INT32, oneof_index=0),
            _field("word", 7, _F.TYPE_STRING, oneof_index=0),
            _field("weight", 8, _F.TYPE_DOUBLE),
            _field("filters", 9, _F.TYPE_MESSAGE, f".{PACKAGE}.Filter", label=_REPEATED),
        ],
        nested_type=[labels],
        oneof_decl=[descriptor_pb2.OneofDescriptorProto(name="pick")],
    )


def _feed_file() -> descriptor_pb2.FileDescriptorProto:
    kind = descriptor_pb2.EnumDescriptorProto(
        name="Kind",
        value=[
            descriptor_pb2.EnumValueDescriptorProto(name="KIND_UNSPECIFIED", number=0),
            descriptor_pb2.EnumValueDescriptorProto(name="KIND_ALL", number=1),
        ],
    )
    window = _field("window", 2, _F.TYPE_MESSAGE, ".google.protobuf.Duration")
    filter_ = descriptor_pb2.DescriptorProto(
        name="Filter", field=[_field("kind", 1, _F.TYPE_ENUM, f".{PACKAGE}.Kind"), window]
    )
    event = descriptor_pb2.DescriptorProto(
        name="FollowEvent", field=[_field("sequence", 1, _F.TYPE_INT64)]
    )
    follow = descriptor_pb2.MethodDescriptorProto(
        name="Follow",
        input_type=f".{PACKAGE}.FollowRequest",
        output_type=f".{PACKAGE}.FollowEvent",
        server_streaming=True,
    )
    return descriptor_pb2.FileDescriptorProto(
        name="atelier/fuzztest/v1/feed.proto",
        package=PACKAGE,
        syntax="proto3",
        dependency=[duration_pb2.DESCRIPTOR.name, _timestamp.DESCRIPTOR.name],
        message_type=[_follow_request(), filter_, event],
        enum_type=[kind],
        service=[descriptor_pb2.ServiceDescriptorProto(name="Feed", method=[follow])],
    )


def feed_service() -> ServiceDescriptor:
    """Declares the feed in the default pool (once), where the server's reflection looks."""
    pool = descriptor_pool.Default()
    pool.Add(_feed_file())
    return pool.FindServiceByName(FEED)


def feed_handler(crash_on_nul: bool) -> Any:
    """Follow sends two events, then checks its request: a late failure only a full read sees."""
    service = feed_service()
    method = service.methods_by_name["Follow"]
    request_type = message_factory.GetMessageClass(method.input_type)
    event_type = message_factory.GetMessageClass(method.output_type)

    async def follow(request: Any, context: Any) -> AsyncIterator[Message]:
        yield event_type(sequence=1)
        yield event_type(sequence=2)
        if crash_on_nul and "\x00" in request.topic:
            raise RuntimeError("a NUL in the topic")
        refuse_hostile(request)

    handler: grpc.RpcMethodHandler[Any, Any] = grpc.unary_stream_rpc_method_handler(
        follow,
        request_deserializer=request_type.FromString,
        response_serializer=lambda event: event.SerializeToString(),
    )
    return grpc.method_handlers_generic_handler(FEED, {"Follow": handler})
