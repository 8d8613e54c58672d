"""Every mutation plan of a request type, found by walking its descriptor field by field."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from atelier_testing.grpc_fuzzer.defaults import (
    MAX_DEPTH,
    default_scalar,
    descriptor_of,
    fill_message,
    is_map,
)
from atelier_testing.grpc_fuzzer.maps import map_plans
from atelier_testing.grpc_fuzzer.mutation import WHOLE_REQUEST, Apply, Plan, Step, setter
from atelier_testing.grpc_fuzzer.times import hostile_times, set_time
from atelier_testing.grpc_fuzzer.values import (
    MANY_MESSAGES,
    MANY_SCALARS,
    Hostile,
    Trait,
    hostile_scalars,
)


def request_plans(request_type: type[Message], seed: str) -> list[Plan]:
    """The baseline itself, the empty request, then every field's hostile values in field order."""
    return [
        Plan(WHOLE_REQUEST, (), Hostile("baseline", Trait.BASELINE, lambda: None), _keep),
        Plan(
            WHOLE_REQUEST, (), Hostile("empty request", Trait.EMPTY_REQUEST, lambda: None), _clear
        ),
        *_message_plans(descriptor_of(request_type), (), "", seed, frozenset()),
    ]


def _keep(message: Message, value: Any) -> None:
    pass


def _clear(message: Message, value: Any) -> None:
    message.Clear()


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _message_plans(
    descriptor: Descriptor, steps: tuple[Step, ...], path: str, seed: str, seen: frozenset[str]
) -> Iterator[Plan]:
    # Recursive message types (Struct, trees) would never end: each type is entered once per path.
    if len(steps) > MAX_DEPTH or descriptor.full_name in seen:
        return
    inner = seen | {descriptor.full_name}
    for field in descriptor.fields:
        yield from _field_plans(field, steps, _join(path, field.name), seed, inner)


def _field_plans(
    field: FieldDescriptor, steps: tuple[Step, ...], path: str, seed: str, seen: frozenset[str]
) -> Iterator[Plan]:
    if is_map(field):
        yield from map_plans(field, steps, path, seed)
    elif field.is_repeated:
        yield from _repeated_plans(field, steps, path, seed, seen)
    elif field.message_type is not None:
        inside = (*steps, (field.name, None))
        yield from _submessage_plans(field.message_type, inside, path, seed, seen)
    else:
        for hostile in hostile_scalars(field, f"{seed}:{path}"):
            yield Plan(path, steps, hostile, setter(field.name))


def _submessage_plans(
    descriptor: Descriptor, steps: tuple[Step, ...], path: str, seed: str, seen: frozenset[str]
) -> Iterator[Plan]:
    times = hostile_times(descriptor.full_name)
    if times is None:
        yield from _message_plans(descriptor, steps, path, seed, seen)
        return
    for hostile in times:
        yield Plan(path, steps, hostile, lambda message, pair: set_time(message, *pair))


def _repeated_plans(
    field: FieldDescriptor, steps: tuple[Step, ...], path: str, seed: str, seen: frozenset[str]
) -> Iterator[Plan]:
    many = MANY_MESSAGES if field.message_type is not None else MANY_SCALARS
    yield Plan(path, steps, Hostile("no elements", Trait.EMPTY, lambda: 0), _elements(field, seed))
    yield Plan(
        path,
        steps,
        Hostile(f"{many} elements", Trait.MANY_ELEMENTS, lambda: many),
        _elements(field, seed),
    )
    element = f"{path}[0]"
    if field.message_type is not None:
        inside = (*steps, (field.name, 0))
        yield from _submessage_plans(field.message_type, inside, element, seed, seen)
        return
    for hostile in hostile_scalars(field, f"{seed}:{element}"):
        yield Plan(element, steps, hostile, _only_element(field.name))


def _only_element(name: str) -> Apply:
    def apply(message: Message, value: Any) -> None:
        message.ClearField(name)
        getattr(message, name).append(value)

    return apply


def _elements(field: FieldDescriptor, seed: str) -> Apply:
    """Replaces the field's elements with `count` plain valid ones."""

    def apply(message: Message, count: int) -> None:
        message.ClearField(field.name)
        elements = getattr(message, field.name)
        rng = random.Random(f"{seed}:{field.full_name}")
        if field.message_type is None:
            elements.extend([default_scalar(field, rng)] * count)
            return
        if count == 0:
            return
        first = elements.add()
        fill_message(first, rng, 1)
        for _ in range(count - 1):
            elements.add().CopyFrom(first)

    return apply
