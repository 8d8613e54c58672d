"""Streams a provider file over HTTP, behind the URL-safety rules, connected to the vetted address.

The name is resolved once here; the request goes to that IP with the host name as `Host` and as
TLS SNI (certificates are still checked against the name), so a second lookup by the HTTP
client cannot be steered elsewhere (DNS rebinding). Redirects are refused. The caller wraps the
whole transfer in its own total deadline; bytes are counted as they arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx

from atelier_media.domain.content_types import SNIFF_BYTES
from atelier_media.domain.source_rules import (
    IpAddress,
    SourcePolicy,
    SourceRefused,
    SourceUrl,
    check_addresses,
    check_url,
)
from atelier_media.domain.upload_rules import transfer_refusal

Resolver = Callable[[str, int], Awaitable[list[IpAddress]]]


class SourceUnavailable(Exception):
    """A failure that may pass: a timeout, a dropped connection, a 5xx or 429 from the provider."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[IpAddress]:
    """Every A and AAAA answer of the system resolver, once."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise SourceRefused("NAME_NOT_RESOLVED", str(error)) from None
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


def _pinned_url(source: SourceUrl, address: IpAddress) -> str:
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"{source.scheme}://{host}:{source.port}{source.target}"


@dataclass
class SourceStream:
    """An open download: its declared type and size, and its body in order, checked."""

    response: httpx.Response
    content_type: str
    max_bytes: int
    declared: str

    async def chunks(self) -> AsyncIterator[bytes]:
        received = 0
        head = b""
        sniffed = False
        async for chunk in self.response.aiter_raw():
            received += len(chunk)
            if received > self.max_bytes:
                raise SourceRefused("TOO_LARGE", f"more than {self.max_bytes} bytes")
            if not sniffed:
                head += chunk[: SNIFF_BYTES - len(head)]
                if len(head) < SNIFF_BYTES:
                    yield chunk
                    continue
                self._check_type(head)
                sniffed = True
            yield chunk
        if not sniffed:
            if received == 0:
                raise SourceRefused("EMPTY", "the source sent no bytes")
            self._check_type(head)

    def _check_type(self, head: bytes) -> None:
        refusal = transfer_refusal(self.content_type, head, self.declared)
        if refusal is not None:
            reason, _, detail = refusal.partition(": ")
            raise SourceRefused(reason, detail)


class SourceFetcher:
    def __init__(
        self,
        policy: SourcePolicy,
        *,
        resolver: Resolver = system_resolver,
        phase_timeout_s: float = 10.0,
    ) -> None:
        self._policy = policy
        self._resolve = resolver
        self._client = httpx.AsyncClient(
            follow_redirects=False, timeout=httpx.Timeout(phase_timeout_s), trust_env=False
        )

    async def close(self) -> None:
        await self._client.aclose()

    @contextlib.asynccontextmanager
    async def open(self, url: str, declared: str, max_bytes: int) -> AsyncIterator[SourceStream]:
        source = check_url(url, self._policy)
        address = check_addresses(await self._resolve(source.host, source.port), self._policy)
        request = self._client.build_request(
            "GET",
            _pinned_url(source, address),
            headers={"Host": source.host_header, "Accept-Encoding": "identity"},
            extensions={"sni_hostname": source.host},
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TransportError as error:
            raise SourceUnavailable("SOURCE_UNREACHABLE", type(error).__name__) from None
        try:
            _check_status(response)
            length = response.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise SourceRefused("TOO_LARGE", f"Content-Length {length} > {max_bytes}")
            yield SourceStream(
                response, response.headers.get("content-type", ""), max_bytes, declared
            )
        except httpx.TransportError as error:
            raise SourceUnavailable("SOURCE_UNREACHABLE", type(error).__name__) from None
        finally:
            await response.aclose()


def _check_status(response: httpx.Response) -> None:
    status = response.status_code
    if 300 <= status < 400:
        # The allowlisted host may not send us anywhere else (e.g. to 127.0.0.1).
        raise SourceRefused(
            "REDIRECT_REFUSED", f"HTTP {status} to {response.headers.get('location', '')[:100]!r}"
        )
    if status in (408, 429) or status >= 500:
        raise SourceUnavailable("SOURCE_UNAVAILABLE", f"HTTP {status}")
    if status != 200:
        raise SourceRefused(
            "SOURCE_GONE" if status in (403, 404, 410) else "SOURCE_REFUSED", f"HTTP {status}"
        )
