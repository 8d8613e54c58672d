"""Mutation plans for map fields: none, many, and one entry with a hostile key or value."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from atelier_testing.grpc_fuzzer.defaults import default_scalar, fill_message
from atelier_testing.grpc_fuzzer.mutation import Apply, Plan, Step
from atelier_testing.grpc_fuzzer.values import MANY_MESSAGES, Hostile, Trait, hostile_scalars


def map_plans(
    field: FieldDescriptor, steps: tuple[Step, ...], path: str, seed: str
) -> Iterator[Plan]:
    entry = field.message_type
    assert entry is not None
    key, value = entry.fields_by_name["key"], entry.fields_by_name["value"]
    rng = random.Random(f"{seed}:{path}")
    plain_key, plain_value = default_scalar(key, rng), _plain(value, rng)
    yield Plan(path, steps, Hostile("no entries", Trait.EMPTY, lambda: {}), _entries(field))
    many = Hostile(f"{MANY_MESSAGES} entries", Trait.MANY_ELEMENTS, lambda: _many(key, plain_value))
    yield Plan(path, steps, many, _entries(field))
    for hostile in hostile_scalars(key, f"{seed}:{path}.key"):
        wrapped = Hostile(hostile.label, hostile.trait, _entry_with_key(hostile, plain_value))
        yield Plan(f"{path}.key", steps, wrapped, _entries(field))
    if value.message_type is not None:
        return  # message values are filled by default; their fields are not fuzzed one by one
    for hostile in hostile_scalars(value, f"{seed}:{path}.value"):
        wrapped = Hostile(hostile.label, hostile.trait, _entry_with_value(plain_key, hostile))
        yield Plan(f"{path}.value", steps, wrapped, _entries(field))


def _plain(value: FieldDescriptor, rng: random.Random) -> Any:
    return None if value.message_type is not None else default_scalar(value, rng)


def _many(key: FieldDescriptor, value: Any) -> dict[Any, Any]:
    if key.type == FieldDescriptor.TYPE_BOOL:
        return {True: value, False: value}
    if key.type == FieldDescriptor.TYPE_STRING:
        return {f"k{i}": value for i in range(MANY_MESSAGES)}
    return {i: value for i in range(MANY_MESSAGES)}


def _entry_with_key(hostile: Hostile, value: Any) -> Any:
    return lambda: {hostile.make(): value}


def _entry_with_value(key: Any, hostile: Hostile) -> Any:
    return lambda: {key: hostile.make()}


def _entries(field: FieldDescriptor) -> Apply:
    """Replaces the map's entries; a None value stands for a default-filled message."""

    def apply(message: Message, entries: dict[Any, Any]) -> None:
        message.ClearField(field.name)
        mapping = getattr(message, field.name)
        for key, value in entries.items():
            if value is None:
                fill_message(mapping.get_or_create(key), random.Random(str(key)), 1)
            else:
                mapping[key] = value

    return apply
