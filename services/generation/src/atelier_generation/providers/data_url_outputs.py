"""Outputs a remote provider returns inline (`data:` URLs) served at temporary expiring URLs.

Media copies every output from a URL, so bytes that arrive inside an answer are written to the
same kind of expiring file folder and small HTTP server the local provider uses. One output is
published once however often the job is polled: it is keyed by the digest of its bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import urllib.parse
from datetime import UTC, datetime

from atelier_generation.providers.errors import ProviderUnavailable
from atelier_generation.providers.job import ProviderOutput
from atelier_generation.providers.local.file_server import FileServer
from atelier_generation.providers.local.file_store import OutputFiles, OutputTooLarge

DATA_PREFIX = "data:"


class DataUrlOutputs:
    """Publishes `data:` URLs as files of `files`, served by `server`."""

    def __init__(self, files: OutputFiles, server: FileServer) -> None:
        self._files = files
        self._server = server
        self._published: dict[str, tuple[str, ProviderOutput]] = {}  # digest → (token, output)

    def publish(self, data_url: str, *, provider: str) -> ProviderOutput:
        """The URL the bytes are served at; ProviderUnavailable for a malformed data URL."""
        content_type, data = decode_data_url(data_url, provider=provider)
        digest = hashlib.sha256(data).hexdigest()
        self._files.sweep()
        known = self._published.get(digest)
        if known is not None and self._files.find(known[0]) is not None:
            return known[1]
        suffix = mimetypes.guess_extension(content_type) or ".bin"
        path = self._files.new_path(suffix)
        path.write_bytes(data)
        try:
            stored = self._files.add(path, content_type)
        except OutputTooLarge as error:
            raise ProviderUnavailable(str(error), provider=provider) from None
        output = ProviderOutput(
            self._server.url_for(stored),
            content_type,
            datetime.fromtimestamp(stored.expires_at, UTC),
        )
        self._published[digest] = (stored.token, output)
        return output


def decode_data_url(data_url: str, *, provider: str) -> tuple[str, bytes]:
    """(content type, bytes) of an RFC 2397 data URL."""
    head, comma, payload = data_url.removeprefix(DATA_PREFIX).partition(",")
    if not comma:
        raise ProviderUnavailable("an inline output is not a data URL", provider=provider)
    parts = head.split(";")
    content_type = parts[0].strip().lower() or "text/plain"
    try:
        if "base64" in parts[1:]:
            data = base64.b64decode(payload, validate=True)
        else:
            data = urllib.parse.unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise ProviderUnavailable(
            "an inline output is not valid base64", provider=provider
        ) from None
    return content_type, data
