"""An HTTP call that failed before any answer: whether it may have started a job decides
whether the router may send it again."""

from __future__ import annotations

import asyncio
import socket

import httpx

from atelier_generation.providers.errors import ProviderTimeout, ProviderUnavailable
from atelier_generation.providers.routing.backoff import may_retry
from atelier_generation.providers.transport import status_may_have_started, transport_fault


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_connection_refused_started_nothing_and_may_be_retried() -> None:
    async with httpx.AsyncClient() as http:
        try:
            await http.post(f"http://127.0.0.1:{closed_port()}/v1/predictions", json={})
        except httpx.HTTPError as error:
            fault = transport_fault(error, "replicate")

    assert isinstance(fault, ProviderUnavailable)
    assert not fault.may_have_started
    assert may_retry(fault)


async def test_no_answer_after_the_request_was_sent_may_have_started_a_job() -> None:
    received = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        received.set()
        await reader.read()  # takes the request, never answers, until the client hangs up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(timeout=httpx.Timeout(5, read=0.2)) as http:
        try:
            await http.post(f"http://127.0.0.1:{port}/v1/predictions", json={})
        except httpx.HTTPError as error:
            fault = transport_fault(error, "replicate")
        server.close()

    assert received.is_set()
    assert isinstance(fault, ProviderTimeout)
    assert fault.may_have_started
    assert not may_retry(fault)


def test_only_a_gateways_5xx_may_hide_a_started_job() -> None:
    assert [code for code in (500, 502, 503, 504) if status_may_have_started(code)] == [502, 504]
