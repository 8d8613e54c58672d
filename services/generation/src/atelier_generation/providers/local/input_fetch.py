"""Reads the input files a job names (an image to restyle, audio to speak) for the local provider.

Unlike a remote provider, the local one runs inside our network, so a URL from a request could
reach anything a service can. It therefore reads only from allowed origins — its own file server
and those configured (e.g. the media bucket) — follows no redirects, and caps size and time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpx

from atelier_generation.providers.errors import InvalidInput, ProviderUnavailable

PROVIDER = "local"


def origin_of(url: str) -> str:
    """`scheme://host:port` with the default port spelled out, for exact comparison."""
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"{parsed.scheme}://{parsed.host}:{port}"


class InputFetcher:
    """Fetches whole input files into memory, each at most `max_bytes`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allowed_origins: Iterable[str] = (),
        max_bytes: int,
        timeout_s: float,
    ) -> None:
        self._client = client
        self._origins = {origin_of(origin) for origin in allowed_origins}
        self._max_bytes = max_bytes
        self._timeout_s = timeout_s

    def allow(self, origin: str) -> None:
        self._origins.add(origin_of(origin))

    async def fetch(self, field: str, url: str) -> bytes:
        """The file's bytes; InvalidInput for a URL the user must fix, ProviderUnavailable else."""
        self._check_allowed(field, url)
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._read(field, url)
        except TimeoutError:
            raise ProviderUnavailable(
                f"{field}: not read within {self._timeout_s:g} s", provider=PROVIDER
            ) from None
        except httpx.HTTPError as error:
            raise ProviderUnavailable(
                f"{field}: could not be read ({type(error).__name__})", provider=PROVIDER
            ) from None

    def _check_allowed(self, field: str, url: str) -> None:
        try:
            parsed = httpx.URL(url)
            allowed = parsed.scheme in ("http", "https") and not parsed.userinfo
            allowed = allowed and origin_of(url) in self._origins
        except (httpx.InvalidURL, ValueError):
            allowed = False
        if not allowed:
            raise InvalidInput(
                f"{field}: the local provider reads only URLs it served or of an allowed origin",
                provider=PROVIDER,
            )

    async def _read(self, field: str, url: str) -> bytes:
        async with self._client.stream("GET", url, follow_redirects=False) as response:
            if response.status_code >= 500:
                raise ProviderUnavailable(
                    f"{field}: answered {response.status_code}", provider=PROVIDER
                )
            if response.status_code != 200:
                # 404 is the usual case: the URL expired before the job read it.
                raise InvalidInput(f"{field}: answered {response.status_code}", provider=PROVIDER)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                raise self._too_large(field)
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self._max_bytes:
                    raise self._too_large(field)
            return bytes(body)

    def _too_large(self, field: str) -> InvalidInput:
        return InvalidInput(f"{field}: larger than {self._max_bytes:,} bytes", provider=PROVIDER)
