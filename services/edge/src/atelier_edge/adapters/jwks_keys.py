"""The identity provider's signing keys, fetched from its JWKS URL and kept by key id.

Providers rotate keys: a token signed with a key id not seen yet makes the set be fetched again,
but never sooner than `refetch_floor_s` after the last fetch, so a stream of tokens with made-up
key ids costs the provider one request per floor, not one per token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

_log = logging.getLogger(__name__)
FETCH_TIMEOUT_S = 5.0
_ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256"})


class JwksKeys:
    def __init__(
        self,
        url: str,
        refetch_floor_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._floor_s = refetch_floor_s
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self._http = httpx.AsyncClient(timeout=FETCH_TIMEOUT_S, trust_env=False)
        self.fetches = 0

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id, fetching the set again if it is unknown and the floor allows."""
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            if kid not in self._keys and self._may_fetch():
                await self._fetch()
        return self._keys.get(kid)

    def _may_fetch(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._floor_s

    async def _fetch(self) -> None:
        self._fetched_at = self._clock()
        self.fetches += 1
        try:
            response = await self._http.get(self._url)
            response.raise_for_status()
            document: Any = response.json()
            found = {
                key.key_id: key
                for key in jwt.PyJWKSet.from_dict(document).keys
                if key.key_id and key.algorithm_name in _ASYMMETRIC
            }
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
            # Keep the keys we had: a provider's hiccup must not sign everybody out.
            _log.warning("JWKS fetch failed", extra={"url": self._url, "error": str(error)})
            return
        self._keys = found

    async def close(self) -> None:
        await self._http.aclose()
