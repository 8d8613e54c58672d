"""A platform started with exported settings uses them: the exported ATELIER_JWT_SECRET, not the
home's, signs what the platform accepts; and its readiness is its own edge's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from tests.e2e.platform_process import Platform, atelier

from atelier_cli.credits_admin_client import AdminCallFailed, audit_stream
from atelier_cli.home import AtelierHome
from atelier_cli.platform_access import CreditsAdminTarget
from atelier_localinfra import free_port
from atelier_testing.private_dirs import private_directory

SECRET = "exported-e2e-secret-3f9a1c0123456789"


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    """One platform for the module: starting one costs seconds."""
    with private_directory() as work:
        yield from _platform(work)


def _platform(work: Path) -> Iterator[Platform]:
    running = Platform(
        work / "home",
        free_port(),
        env={"ATELIER_JWT_SECRET": SECRET},
    )
    running.start()
    try:
        running.wait_ready()
        yield running
        assert running.interrupt() == 0
    finally:
        running.kill()


def credits_address(platform: Platform) -> str:
    return AtelierHome(platform.home).read_record().services["credits"]


async def audited(target: CreditsAdminTarget) -> bool:
    async for update in audit_stream(target, None):
        if update.HasField("report"):
            return update.report.ok
    return False


async def test_atelier_token_signs_with_the_exported_secret(platform: Platform) -> None:
    printed = await atelier(platform, "token", "acct-3f9a1c", "--ttl", "10m")

    assert printed.returncode == 0, printed.stderr
    claims = jwt.decode(printed.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["sub"] == "acct-3f9a1c"
    assert "exp" in claims


async def test_the_services_accept_the_exported_secret_and_refuse_the_homes(
    platform: Platform,
) -> None:
    home_secret = AtelierHome(platform.home).secret("jwt")
    address = credits_address(platform)

    assert await audited(CreditsAdminTarget(address, SECRET))
    with pytest.raises(AdminCallFailed, match="UNAUTHENTICATED"):
        await audited(CreditsAdminTarget(address, home_secret))


async def test_the_cli_signs_its_admin_calls_with_the_exported_secret(platform: Platform) -> None:
    audit = await atelier(platform, "credits", "audit", "--json")

    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_ready_is_the_platforms_own_edge_and_it_serves_its_api_document(
    platform: Platform,
) -> None:
    record = AtelierHome(platform.home).read_record()

    ready = httpx.get(f"{platform.edge_url}/readyz", timeout=5)
    document = httpx.get(f"{platform.edge_url}/openapi.json", timeout=5)
    docs = httpx.get(f"{platform.edge_url}/docs", timeout=5)

    assert ready.json()["instance"] == record.instance_id != ""
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Atelier"
    assert docs.status_code == 200


def test_the_database_log_has_no_connection_errors(platform: Platform) -> None:
    log = Path(platform.home) / "logs" / "postgres.log"

    assert "FATAL" not in log.read_text()
