"""Each service's Dockerfile builds that one package from the repository root and runs its main."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SERVICES = sorted(path.parent.name for path in ROOT.glob("services/*/pyproject.toml"))
HTTP_PORTS = {"edge": 8080}
GRPC_PORT = 50051


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with its continuation lines joined."""

    keyword: str
    arguments: str


def instructions(dockerfile: Path) -> list[Instruction]:
    parsed: list[Instruction] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, arguments = (pending + stripped).partition(" ")
        parsed.append(Instruction(keyword.upper(), " ".join(arguments.split())))
        pending = ""
    return parsed


def dockerfile_of(service: str) -> Path:
    return ROOT / "services" / service / "Dockerfile"


def sync_arguments(service: str) -> list[str]:
    """The arguments of the image's `uv sync`, as the installs-alone test replays them."""
    runs = [i.arguments for i in instructions(dockerfile_of(service)) if i.keyword == "RUN"]
    syncs = [re.search(r"uv sync (.*)", run) for run in runs]
    found = [match.group(1).split() for match in syncs if match]
    assert len(found) == 1, f"{service}: expected exactly one `uv sync`, found {len(found)}"
    return found[0]


def final_stage(service: str) -> list[Instruction]:
    steps = instructions(dockerfile_of(service))
    last_from = max(i for i, step in enumerate(steps) if step.keyword == "FROM")
    return steps[last_from:]


def port_of(service: str) -> int:
    return HTTP_PORTS.get(service, GRPC_PORT)


def locked_workspace_packages() -> set[str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {
        package["name"]
        for package in lock["package"]
        if "editable" in package.get("source", {}) or "virtual" in package.get("source", {})
    }


def test_there_are_five_services_to_build() -> None:
    assert SERVICES == ["billing", "credits", "edge", "generation", "media"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_a_dockerfile(service: str) -> None:
    assert dockerfile_of(service).is_file()


@pytest.mark.parametrize("service", SERVICES)
def test_image_installs_only_its_own_package_from_the_lockfile(service: str) -> None:
    arguments = sync_arguments(service)
    package = arguments[arguments.index("--package") + 1]
    project = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
    assert package == project["project"]["name"] == f"atelier-{service}"
    assert package in locked_workspace_packages()
    assert {"--frozen", "--no-dev", "--no-editable"} <= set(arguments)


@pytest.mark.parametrize("service", SERVICES)
def test_image_runs_the_services_main_module_in_exec_form(service: str) -> None:
    commands = [i.arguments for i in final_stage(service) if i.keyword == "CMD"]
    assert len(commands) == 1
    module = f"atelier_{service}.main"
    assert json.loads(commands[0]) == ["python", "-m", module]
    assert (ROOT / "services" / service / "src" / f"atelier_{service}" / "main.py").is_file()


@pytest.mark.parametrize("service", SERVICES)
def test_image_is_built_in_one_stage_and_run_from_a_slim_one(service: str) -> None:
    stages = [i.arguments for i in instructions(dockerfile_of(service)) if i.keyword == "FROM"]
    assert any(stage.endswith(" AS builder") for stage in stages)
    assert stages[-1].endswith(" AS runtime")
    runtime = final_stage(service)
    copies = [i.arguments for i in runtime if i.keyword == "COPY"]
    # The runtime stage carries the virtual environment only: no uv, no sources.
    assert copies == ["--from=builder /app/.venv /app/.venv"]


@pytest.mark.parametrize("service", SERVICES)
def test_image_runs_as_a_numeric_non_root_user(service: str) -> None:
    users = [i.arguments for i in final_stage(service) if i.keyword == "USER"]
    assert users, f"{service}: the runtime stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit()
    assert gid.isdigit()
    assert int(uid) > 0
    assert int(gid) > 0


@pytest.mark.parametrize("service", SERVICES)
def test_image_exposes_the_port_its_service_listens_on(service: str) -> None:
    runtime = final_stage(service)
    exposed = [i.arguments for i in runtime if i.keyword == "EXPOSE"]
    assert exposed == [str(port_of(service))]
    environment = " ".join(i.arguments for i in runtime if i.keyword == "ENV")
    variable = "ATELIER_EDGE_PORT" if service in HTTP_PORTS else "ATELIER_GRPC_PORT"
    assert f"{variable}={port_of(service)}" in environment


@pytest.mark.parametrize("service", SERVICES)
def test_image_copies_the_workspace_from_the_repository_root(service: str) -> None:
    copies = [i.arguments for i in instructions(dockerfile_of(service)) if i.keyword == "COPY"]
    assert "pyproject.toml uv.lock ./" in copies
    assert "libs libs" in copies
    assert "services services" in copies


def test_the_five_dockerfiles_differ_only_in_service_name_and_port() -> None:
    def template(service: str) -> str:
        text = dockerfile_of(service).read_text().replace(service, "<service>")
        return re.sub(rf"^EXPOSE {port_of(service)}$", "EXPOSE <port>", text, flags=re.MULTILINE)

    reference = template(SERVICES[0])
    for service in SERVICES[1:]:
        assert template(service) == reference, f"services/{service}/Dockerfile drifted"


def test_build_context_leaves_out_local_state_and_tests() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "**/.venv", ".atelier", "**/__pycache__", "**/tests"} <= ignored
    assert not {"libs", "services", "uv.lock", "pyproject.toml"} & ignored
