"""The CLI talks to the services over their APIs; it never reaches into a service's code or data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CLI_SOURCES = Path(__file__).resolve().parents[2] / "src" / "atelier_cli"
SERVICE_PACKAGES = ("atelier_credits", "atelier_generation", "atelier_media", "atelier_billing")


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("source", sorted(CLI_SOURCES.glob("*.py")), ids=lambda p: p.name)
def test_no_cli_module_imports_a_services_code(source: Path) -> None:
    reached = {m for m in imported_modules(source) if m.split(".")[0] in SERVICE_PACKAGES}

    assert reached == set()
