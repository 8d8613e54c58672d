"""The checked-in `atelier` package is exactly what generate.py makes from protos/."""

from __future__ import annotations

import importlib
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CONTRACTS = Path(__file__).resolve().parents[2]
GENERATOR = CONTRACTS / "generate.py"
PACKAGE_DIR = CONTRACTS / "src" / "atelier"


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args], capture_output=True, text=True, check=False
    )


def test_checked_in_code_matches_the_protos() -> None:
    result = run_generator("--check")

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def pristine_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly generated source root, generated once and copied by each test that edits it."""
    src = tmp_path_factory.mktemp("pristine")
    assert run_generator("--src", str(src)).returncode == 0
    return src


@pytest.fixture
def generated_src(pristine_src: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine_src, tmp_path / "src"))


def test_check_names_every_stale_missing_and_unexpected_file(generated_src: Path) -> None:
    (generated_src / "atelier/credits/v1/credits_pb2.pyi").write_text("edited by hand\n")
    (generated_src / "atelier/media/v1/__init__.py").unlink()
    (generated_src / "atelier/events/v1/leftover_pb2.py").write_text("")

    result = run_generator("--check", "--src", str(generated_src))

    assert result.returncode == 1
    assert "stale:      atelier/credits/v1/credits_pb2.pyi" in result.stdout
    assert "missing:    atelier/media/v1/__init__.py" in result.stdout
    assert "unexpected: atelier/events/v1/leftover_pb2.py" in result.stdout


def test_regenerating_repairs_the_tree_and_drops_leftovers(generated_src: Path) -> None:
    (generated_src / "atelier/credits/v1/credits_pb2.py").write_text("edited by hand\n")
    (generated_src / "atelier/retired/v1").mkdir(parents=True)
    (generated_src / "atelier/retired/v1/old_pb2.py").write_text("")

    assert run_generator("--src", str(generated_src)).returncode == 0

    assert run_generator("--check", "--src", str(generated_src)).returncode == 0
    assert not (generated_src / "atelier/retired").exists()


def test_every_generated_directory_is_a_regular_package() -> None:
    directories = [PACKAGE_DIR, *(p for p in PACKAGE_DIR.rglob("*") if p.is_dir())]
    packages = [d for d in directories if d.name != "__pycache__"]

    assert [d for d in packages if not (d / "__init__.py").is_file()] == []
    assert (PACKAGE_DIR / "py.typed").is_file()


def test_only_files_with_a_service_get_grpc_modules() -> None:
    grpc_modules = sorted(
        p.relative_to(PACKAGE_DIR).as_posix() for p in PACKAGE_DIR.rglob("*_pb2_grpc.py")
    )

    assert grpc_modules == [
        "billing/v1/billing_pb2_grpc.py",
        "credits/v1/credits_admin_pb2_grpc.py",
        "credits/v1/credits_pb2_grpc.py",
        "generation/v1/generation_pb2_grpc.py",
        "media/v1/media_pb2_grpc.py",
        "runtime/v1/dead_letters_pb2_grpc.py",
    ]


def test_every_generated_module_imports() -> None:
    names = [
        module.name
        for module in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="atelier.")
        if not module.ispkg
    ]

    assert len(names) == len(list(PACKAGE_DIR.rglob("*.py"))) - len(
        list(PACKAGE_DIR.rglob("__init__.py"))
    )
    for name in names:
        importlib.import_module(name)
