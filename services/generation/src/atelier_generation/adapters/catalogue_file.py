"""Reads the catalogue from its YAML file: the one shipped in the package, or ATELIER_CATALOG.

Every problem becomes one line naming the file, the key path and the reason, e.g.
`invalid catalogue /etc/atelier/catalog.yaml: tools[2].models[0].cost.per_second: ...`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from importlib import resources
from pathlib import Path

import pydantic

from atelier_generation.domain.catalogue import Catalogue
from atelier_generation.domain.catalogue_checks import check_catalogue
from atelier_generation.domain.errors import CatalogueProblem
from atelier_runtime.config_yaml import YamlProblem, key_path, load_yaml

DEFAULT_NAME = "catalog.yaml"
# Far above any real catalogue; a larger file is a wrong path (a log, a dump), not a catalogue.
MAX_BYTES = 4 * 1024 * 1024
# A check an adapter adds (e.g. that its model ids exist); raises CatalogueProblem.
CatalogueCheck = Callable[[Catalogue], None]


class CatalogueError(Exception):
    """A catalogue the service cannot start with; `str()` is the one line an operator reads."""

    def __init__(self, source: str, where: str, reason: str) -> None:
        located = f"{where}: " if where else ""
        super().__init__(f"invalid catalogue {source}: {located}{reason}")


def load_catalogue(
    path: Path | None, adapters: Collection[str], checks: Sequence[CatalogueCheck] = ()
) -> Catalogue:
    """The catalogue at `path`, or the shipped default when None; CatalogueError when unusable."""
    if path is None:
        text = resources.files("atelier_generation").joinpath(DEFAULT_NAME).read_text("utf-8")
        return parse_catalogue(text, f"(built-in {DEFAULT_NAME})", adapters, checks)
    source = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CatalogueError(source, "", f"larger than {MAX_BYTES:,} bytes")
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise CatalogueError(source, "", f"cannot be read: {reason}") from None
    return parse_catalogue(text, source, adapters, checks)


def parse_catalogue(
    text: str, source: str, adapters: Collection[str], checks: Sequence[CatalogueCheck] = ()
) -> Catalogue:
    """YAML text to a checked catalogue; `source` names the file in error lines."""
    try:
        document = load_yaml(text)
    except YamlProblem as unreadable:
        raise CatalogueError(source, unreadable.where, unreadable.reason) from None
    try:
        catalogue = Catalogue.model_validate(document)
    except pydantic.ValidationError as error:
        first, *others = error.errors()
        # A list whose item failed also reports itself as too short: not another problem.
        more = sum(1 for other in others if other["loc"] != first["loc"][: len(other["loc"])])
        reason = first["msg"] + (f" (and {more} more problems)" if more else "")
        raise CatalogueError(source, key_path(first["loc"]), reason) from None
    try:
        check_catalogue(catalogue, adapters)
        for check in checks:
            check(catalogue)
    except CatalogueProblem as problem:
        raise CatalogueError(source, problem.where, problem.reason) from None
    return catalogue
