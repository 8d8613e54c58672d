"""Reading a service's YAML configuration file (a catalogue, a plans file) strictly, and naming
where a problem is, so a bad file stops the service with one line that says file, key and why."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import yaml


class YamlProblem(Exception):
    """The text is not YAML we accept; `where` is `line L, column C` when known."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.where = where
        self.reason = reason


def load_yaml(text: str) -> Any:
    """Safe YAML (no Python objects are built), refusing a key written twice in one mapping."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise YamlProblem(where, str(error.problem or error.context)) from None
    except yaml.YAMLError as error:
        raise YamlProblem("", " ".join(str(error).split())) from None


def key_path(location: tuple[int | str, ...]) -> str:
    """pydantic's ('tools', 2, 'models', 0, 'cost') as `tools[2].models[0].cost`."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key written twice in one mapping, where YAML keeps the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` keys may be overridden; that is what merges are for
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:
                continue  # an unhashable key: the base class reports it
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)
