"""One `atelier bench credits` run: PostgreSQL and NATS, both contenders, both cases, the report."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import secrets
import tempfile
import time
from pathlib import Path

import asyncpg
from nats.js.errors import NotFoundError

from atelier_bench.credits.case_run import Case, CaseRun, Say
from atelier_bench.credits.history_case import run_history
from atelier_bench.credits.report import BenchReport, Parameters
from atelier_bench.credits.servers import ContenderSpec, Infrastructure, contenders, infrastructure
from atelier_runtime.bus import connect
from atelier_runtime.bus_names import BusNames
from atelier_runtime.db import quote_identifier

HOT_GRANT = 10**12
SPREAD_GRANT = 10**9


def cases_for(accounts: int) -> tuple[Case, ...]:
    hot = Case("hot", ("bench-hot",), target=1.0, grant=HOT_GRANT)
    spread_ids = tuple(f"bench-{index:05d}" for index in range(accounts))
    return hot, Case("spread", spread_ids, target=0.5, grant=SPREAD_GRANT)


def run_credits_bench(parameters: Parameters, say: Say) -> BenchReport:
    """Runs the whole benchmark and returns its report; every server it started is stopped."""
    return asyncio.run(_run(parameters, say))


async def _run(parameters: Parameters, say: Say) -> BenchReport:
    started = time.monotonic()
    run_id = secrets.token_hex(4)
    specs = (
        ContenderSpec("ours", "atelier_credits.main", f"bench_{run_id}_ours"),
        ContenderSpec("baseline", "atelier_bench.credits.naive_main", f"bench_{run_id}_baseline"),
    )
    with (
        tempfile.TemporaryDirectory(prefix="atelier-bench-") as work,
        infrastructure(Path(work)) as infra,
    ):
        say(f"postgres {infra.database_url}, nats {infra.nats_url}")
        postgres = await _postgres_settings(infra.database_url)
        try:
            async with contenders(infra, specs, Path(work) / "logs", f"bench{run_id}") as running:
                say("ours and the baseline are serving")
                quiet_roots = [*infra.local_pids, *(c.pid for c in running)]
                results = [
                    await CaseRun(
                        case, running, parameters, run_id=run_id, quiet_roots=quiet_roots, say=say
                    ).run()
                    for case in cases_for(parameters.accounts)
                    if case.name in parameters.cases
                ]
                history = None
                if "history" in parameters.cases:
                    say(f"history: {parameters.history_cycles:,} cycles on one account")
                    history = await run_history(
                        running[0],
                        infra.database_url_for(specs[0].database),
                        cycles=parameters.history_cycles,
                        clients=parameters.clients,
                        run_id=run_id,
                    )
        finally:
            await _clean_up_given_servers(
                infra, [spec.database for spec in specs], f"bench{run_id}"
            )
    host = {"cpus": str(os.cpu_count()), "python": platform.python_version()}
    return BenchReport(
        parameters, host, postgres, tuple(results), time.monotonic() - started, history
    )


async def _postgres_settings(database_url: str) -> dict[str, str]:
    conn = await asyncpg.connect(database_url)
    try:
        return {
            name: str(await conn.fetchval(f"SHOW {name}"))
            for name in ("server_version", "fsync", "synchronous_commit")
        }
    finally:
        await conn.close()


async def _clean_up_given_servers(
    infra: Infrastructure, databases: list[str], bus_prefix: str
) -> None:
    """Drops what this run created on servers it was given; local ones go with their directory."""
    if infra.given_database:
        conn = await asyncpg.connect(infra.database_url)
        try:
            for database in databases:
                await conn.execute(
                    f"DROP DATABASE IF EXISTS {quote_identifier(database)} WITH (FORCE)"
                )
        finally:
            await conn.close()
    if infra.given_nats:
        client = await connect(infra.nats_url, "atelier-bench")
        try:
            with contextlib.suppress(NotFoundError):
                await client.jetstream().delete_stream(BusNames(bus_prefix).stream("credits"))
        finally:
            await client.drain()
