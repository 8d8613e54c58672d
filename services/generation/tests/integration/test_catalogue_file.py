"""ATELIER_CATALOG replaces the shipped catalogue; a bad one stops the service at start in one
line with exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from services.generation.tests.catalogue_samples import sample_document, sample_with
from services.generation.tests.generation_service import service_settings, serving_generation

from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier_runtime.grpc_client import channel


def started(catalogue: Path) -> subprocess.CompletedProcess[str]:
    # A well-formed database URL, never reached: the catalogue is checked before anything opens.
    environment = {
        **os.environ,
        "ATELIER_CATALOG": str(catalogue),
        "ATELIER_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/generation",
    }
    return subprocess.run(
        [sys.executable, "-m", "atelier_generation.main"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bad_catalogue_stops_the_service_in_one_line_with_status_2(tmp_path: Path) -> None:
    def overpriced(document: dict[str, object]) -> None:
        document["tools"][0]["models"][0]["cost"]["per_second"] = -2  # type: ignore[index]

    catalogue = tmp_path / "catalog.yaml"
    catalogue.write_text(yaml.safe_dump(sample_with(overpriced)))

    result = started(catalogue)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"invalid catalogue {catalogue}: tools[0].models[0].cost.per_second: "
        "Input should be greater than or equal to 0"
    ]


def test_a_missing_catalogue_file_stops_the_service_naming_it(tmp_path: Path) -> None:
    result = started(tmp_path / "nowhere.yaml")

    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"invalid catalogue {tmp_path / 'nowhere.yaml'}: cannot be read: No such file or directory"
    )


async def test_the_service_serves_the_catalogue_it_is_given(
    tmp_path: Path, database_url: str, nats_url: str, bus_prefix: str
) -> None:
    def add_remote_model(document: dict[str, object]) -> None:
        models = document["tools"][0]["models"]  # type: ignore[index]
        remote = {**models[0], "id": "veo", "provider": "gemini", "provider_model": "veo-3"}
        models.append(remote)

    catalogue = tmp_path / "catalog.yaml"
    catalogue.write_text(yaml.safe_dump(sample_with(add_remote_model)))
    settings = service_settings(database_url, nats_url, bus_prefix, catalog=catalogue)

    async with serving_generation(settings) as address, channel(address) as opened:
        stub = generation_pb2_grpc.GenerationServiceStub(opened)  # type: ignore[no-untyped-call]
        listing = await stub.ListTools(generation_pb2.ListToolsRequest())
        priced = await stub.EstimateCost(
            generation_pb2.EstimateCostRequest(
                tool="text-to-video", model="veo", params_json='{"prompt": "waves"}'
            )
        )

    assert [(t.id, [m.id for m in t.models]) for t in listing.tools] == [
        (sample_document()["tools"][0]["id"], ["local", "veo"])
    ]
    assert priced.credits == 10
