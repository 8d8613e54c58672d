"""Each service installs alone, as its image's builder stage does, and all its modules import.

A module that imports a library only a sibling service declares works in the shared development
environment and fails in production; installing one package into an empty environment shows it.
The install runs on a copy of what the Dockerfile copies (less .dockerignore), so a file the build
needs but never copies fails here too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVICES = sorted(path.parent.name for path in ROOT.glob("services/*/pyproject.toml"))

# Imports the service's main and every other module of its package, then names where it came from.
IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
importlib.import_module(sys.argv[1] + ".main")
prefix = package.__name__ + "."
for module in pkgutil.walk_packages(package.__path__, prefix):
    importlib.import_module(module.name)
print(package.__file__)
"""


def dockerfile_lines(service: str) -> list[str]:
    text = (ROOT / "services" / service / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip()]


def image_sync_arguments(service: str) -> list[str]:
    """The `uv sync` arguments from the service's Dockerfile, so this test installs what it does."""
    found = [re.search(r"uv sync (.*)", line) for line in dockerfile_lines(service)]
    (match,) = [candidate for candidate in found if candidate]
    return match.group(1).split()


def context_copies(service: str) -> list[list[str]]:
    """`COPY source... destination` from the build context (not from another stage)."""
    copies = [line.split()[1:] for line in dockerfile_lines(service) if line.startswith("COPY ")]
    return [copy for copy in copies if not copy[0].startswith("--")]


def dockerignored(relative: str, patterns: list[str]) -> bool:
    # The subset of .dockerignore syntax the project uses: `**/name` anywhere, else from the root.
    name = relative.rsplit("/", 1)[-1]
    return any(
        fnmatch(name, pattern[3:]) if pattern.startswith("**/") else fnmatch(relative, pattern)
        for pattern in patterns
    )


def stage_build_context(service: str, stage: Path) -> Path:
    """A copy of what the builder stage sees in its working directory."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]

    def ignore(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(ROOT).as_posix()
        prefix = "" if relative == "." else relative + "/"
        return {name for name in names if dockerignored(prefix + name, patterns)}

    for *sources, destination in context_copies(service):
        for source in sources:
            target = (
                stage / destination / source if destination.endswith("/") else stage / destination
            )
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target, ignore=ignore)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / source, target)
    return stage


def uv_command() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    assert found, "uv is needed to install a service alone: run the tests through `./test`"
    return found


def isolated_environment(venv: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env["UV_PROJECT_ENVIRONMENT"] = str(venv)
    return env


def test_the_build_context_copy_holds_the_workspace_and_no_tests(tmp_path: Path) -> None:
    stage = stage_build_context("credits", tmp_path / "context")
    assert (stage / "uv.lock").is_file()
    assert (stage / "services" / "credits" / "src" / "atelier_credits" / "main.py").is_file()
    assert not list(stage.rglob("tests"))
    assert not list(stage.rglob(".venv"))


@pytest.mark.parametrize("service", SERVICES)
def test_service_installs_alone_and_all_its_modules_import(service: str, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    sync = subprocess.run(
        [uv_command(), "sync", "--quiet", *image_sync_arguments(service)],
        cwd=stage_build_context(service, tmp_path / "context"),
        env=isolated_environment(venv),
        capture_output=True,
        text=True,
        check=False,
    )
    assert sync.returncode == 0, sync.stderr

    # -I: neither the working directory nor PYTHONPATH can lend the service a missing module.
    imported = subprocess.run(
        [str(venv / "bin" / "python"), "-I", "-c", IMPORT_EVERYTHING, f"atelier_{service}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    # Installed into the environment itself (not linked to a checkout), as in the image.
    assert Path(imported.stdout.strip()).is_relative_to(venv)
