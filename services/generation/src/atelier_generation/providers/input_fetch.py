"""Reads the input files a job names (an image to restyle, audio to speak) for a provider that
takes the file itself rather than its URL: the local provider, OpenAI's edits, Gemini's inline
parts.

A URL in a request is the user's choice, and reading it runs inside our network, where it could
reach anything a service can. So only allowed origins are read — our own file server and those
configured (e.g. the media bucket) — with no redirects followed, and size and time capped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from atelier_generation.providers.errors import InvalidInput, ProviderUnavailable

PROVIDER = "local"


@dataclass(frozen=True)
class InputFilesConfig:
    """Where remote adapters may read input files from, and how much of one."""

    origins: tuple[str, ...] = ()
    max_bytes: int = 20 * 1024 * 1024
    timeout_s: float = 30.0


def origin_of(url: str) -> str:
    """`scheme://host:port` with the default port spelled out, for exact comparison."""
    parsed = httpx.URL(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return f"{parsed.scheme}://{parsed.host}:{port}"


class InputFetcher:
    """Fetches whole input files into memory, each at most `max_bytes`; errors name `provider`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allowed_origins: Iterable[str] = (),
        max_bytes: int,
        timeout_s: float,
        provider: str = PROVIDER,
    ) -> None:
        self._client = client
        self._origins = {origin_of(origin) for origin in allowed_origins}
        self._max_bytes = max_bytes
        self._timeout_s = timeout_s
        self._provider = provider

    def allow(self, origin: str) -> None:
        self._origins.add(origin_of(origin))

    async def fetch(self, field: str, url: str) -> bytes:
        """The file's bytes; InvalidInput for a URL the user must fix, ProviderUnavailable else."""
        self.check(field, url)
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._read(field, url)
        except TimeoutError:
            raise ProviderUnavailable(
                f"{field}: not read within {self._timeout_s:g} s", provider=self._provider
            ) from None
        except httpx.HTTPError as error:
            raise ProviderUnavailable(
                f"{field}: could not be read ({type(error).__name__})", provider=self._provider
            ) from None

    def check(self, field: str, url: object) -> None:
        """InvalidInput unless `url` is an http(s) URL of an allowed origin; no I/O."""
        try:
            parsed = httpx.URL(url) if isinstance(url, str) else None
            allowed = parsed is not None and parsed.scheme in ("http", "https")
            allowed = allowed and parsed is not None and not parsed.userinfo
            allowed = allowed and origin_of(str(url)) in self._origins
        except (httpx.InvalidURL, ValueError):
            allowed = False
        if not allowed:
            raise InvalidInput(
                f"{field}: only URLs this service served or of an allowed origin are read",
                provider=self._provider,
            )

    async def _read(self, field: str, url: str) -> bytes:
        async with self._client.stream("GET", url, follow_redirects=False) as response:
            if response.status_code >= 500:
                raise ProviderUnavailable(
                    f"{field}: answered {response.status_code}", provider=self._provider
                )
            if response.status_code != 200:
                # 404 is the usual case: the URL expired before the job read it.
                raise InvalidInput(
                    f"{field}: answered {response.status_code}", provider=self._provider
                )
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
        return InvalidInput(
            f"{field}: larger than {self._max_bytes:,} bytes", provider=self._provider
        )
