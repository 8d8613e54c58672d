"""Downloads a finished Veo video with our key, sending the key to Google's own host only.

The URI comes from the provider's answer; were it to name another host (or redirect to one,
as a download may to a signed storage URL), our key must not follow it there.
"""

from __future__ import annotations

import httpx

from atelier_generation.providers.errors import ProviderUnavailable
from atelier_generation.providers.inline_http import send
from atelier_generation.providers.remote_config import RemoteProviderConfig

# A few seconds of 720p/1080p video; far more is not a Veo clip.
MAX_VIDEO_BYTES = 200 * 1024 * 1024
MAX_REDIRECTS = 3


async def download_video(http: httpx.AsyncClient, config: RemoteProviderConfig, uri: str) -> bytes:
    provider = config.name
    if _origin(uri) != _origin(config.base_url):
        raise ProviderUnavailable("the video is at an unexpected host", provider=provider)
    headers = {"x-goog-api-key": config.api_key}
    url = uri
    for _ in range(MAX_REDIRECTS + 1):
        answer = await send(
            http, "GET", url, provider=provider, timeout_s=config.request_timeout_s * 4,
            max_bytes=MAX_VIDEO_BYTES, headers=headers,
        )  # fmt: skip
        location = answer.headers.get("location")
        if answer.status in (301, 302, 303, 307, 308) and location:
            next_url = str(httpx.URL(url).join(location))
            if _origin(next_url) != _origin(config.base_url):
                headers = {}  # a signed URL elsewhere needs no key, and must not see it
            url = next_url
            continue
        if answer.status != 200:
            raise ProviderUnavailable(
                f"the video download answered {answer.status}", provider=provider
            )
        return answer.body
    raise ProviderUnavailable("the video download redirected too often", provider=provider)


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return ("", "", None)
    return (parsed.scheme, parsed.host, parsed.port)
