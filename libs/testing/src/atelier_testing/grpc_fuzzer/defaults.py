"""A valid-ish request for a method the caller gave no baseline for: every field filled plainly."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from atelier_testing.grpc_fuzzer.times import default_time, set_time

# Deep enough for any request shape we serve; recursive types (Struct, Value) stop here.
MAX_DEPTH = 4

_T = FieldDescriptor
M = TypeVar("M", bound=Message)


def descriptor_of(message: Message | type[Message]) -> Descriptor:
    # The stubs type DESCRIPTOR as a union with upb's class; it is the same descriptor API.
    return cast(Descriptor, message.DESCRIPTOR)


def is_map(field: FieldDescriptor) -> bool:
    entry = field.message_type
    return entry is not None and entry.GetOptions().map_entry


def _first_enum_value(field: FieldDescriptor) -> int:
    # The zero value is "unspecified" by convention; the first named one is likelier valid.
    assert field.enum_type is not None
    numbers = [value.number for value in field.enum_type.values if value.number != 0]
    return numbers[0] if numbers else 0


def _scalars(rng: random.Random) -> Mapping[int, Callable[[FieldDescriptor], Any]]:
    return {
        _T.TYPE_STRING: lambda _: f"x-{rng.randbytes(3).hex()}",
        _T.TYPE_BYTES: lambda _: b"x",
        _T.TYPE_BOOL: lambda _: True,
        _T.TYPE_ENUM: _first_enum_value,
        _T.TYPE_DOUBLE: lambda _: 1.0,
        _T.TYPE_FLOAT: lambda _: 1.0,
    }


def default_scalar(field: FieldDescriptor, rng: random.Random) -> Any:
    """A plain valid value for a non-message field: strings "x-<random>", numbers 1."""
    make = _scalars(rng).get(field.type)
    return make(field) if make is not None else 1


def fill(message: Message, rng: random.Random, depth: int = 0) -> Message:
    """Fills every field of `message` in place (the first member of each oneof); returns it."""
    for field in descriptor_of(message).fields:
        oneof = field.containing_oneof
        if oneof is not None and oneof.fields[0] is not field:
            continue
        _fill_field(message, field, rng, depth)
    return message


def fill_message(message: Message, rng: random.Random, depth: int) -> None:
    """Fills a sub-message, a Timestamp or a Duration with valid values."""
    time = default_time(descriptor_of(message).full_name)
    if time is not None:
        set_time(message, *time)
    elif depth < MAX_DEPTH:
        fill(message, rng, depth + 1)
    else:
        message.SetInParent()


def _fill_field(message: Message, field: FieldDescriptor, rng: random.Random, depth: int) -> None:
    value = getattr(message, field.name)
    if is_map(field):
        _fill_map_entry(value, field, rng, depth)
    elif field.is_repeated and field.message_type is not None:
        fill_message(value.add(), rng, depth)
    elif field.is_repeated:
        value.append(default_scalar(field, rng))
    elif field.message_type is not None:
        fill_message(value, rng, depth)
    else:
        setattr(message, field.name, default_scalar(field, rng))


def _fill_map_entry(mapping: Any, field: FieldDescriptor, rng: random.Random, depth: int) -> None:
    entry = field.message_type
    assert entry is not None
    key = default_scalar(entry.fields_by_name["key"], rng)
    value_field = entry.fields_by_name["value"]
    if value_field.message_type is not None:
        fill_message(mapping.get_or_create(key), rng, depth)
    else:
        mapping[key] = default_scalar(value_field, rng)


def default_request(request_type: type[M], seed: str) -> M:
    """The default baseline of one method, the same for the same seed."""
    request = request_type()
    fill(request, random.Random(seed))
    return request
