"""Reads the plans from their YAML file: the one shipped in the package, or ATELIER_PLANS.

Every problem becomes one line naming the file, the key and the reason, e.g.
`invalid plans file /etc/atelier/plans.yaml: plans.pro.monthly_credits: ...`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pydantic

from atelier_billing.domain.errors import PlanProblem
from atelier_billing.domain.plans import PlanBook, check_plan_book
from atelier_runtime.config_yaml import YamlProblem, key_path, load_yaml

DEFAULT_NAME = "plans.yaml"
# A plans file is a few kilobytes; anything larger is the wrong file.
MAX_BYTES = 1024 * 1024


class PlanFileError(Exception):
    """Plans the service cannot start with; `str()` is the one line an operator reads."""

    def __init__(self, source: str, where: str, reason: str) -> None:
        located = f"{where}: " if where else ""
        super().__init__(f"invalid plans file {source}: {located}{reason}")


def load_plans(path: Path | None) -> PlanBook:
    """The plans at `path`, or the shipped default when None; PlanFileError when unusable."""
    if path is None:
        text = resources.files("atelier_billing").joinpath(DEFAULT_NAME).read_text("utf-8")
        return parse_plans(text, f"(built-in {DEFAULT_NAME})")
    source = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise PlanFileError(source, "", f"larger than {MAX_BYTES:,} bytes")
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise PlanFileError(source, "", f"cannot be read: {reason}") from None
    return parse_plans(text, source)


def parse_plans(text: str, source: str) -> PlanBook:
    """YAML text to checked plans; `source` names the file in error lines."""
    try:
        document = load_yaml(text)
    except YamlProblem as unreadable:
        raise PlanFileError(source, unreadable.where, unreadable.reason) from None
    try:
        book = PlanBook.model_validate(document)
    except pydantic.ValidationError as error:
        problem = error.errors()[0]
        more = error.error_count() - 1
        reason = problem["msg"] + (f" (and {more} more problems)" if more else "")
        raise PlanFileError(source, key_path(problem["loc"]), reason) from None
    try:
        return check_plan_book(book)
    except PlanProblem as problem:
        raise PlanFileError(source, problem.where, problem.reason) from None
