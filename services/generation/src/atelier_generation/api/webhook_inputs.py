"""A provider callback's request checked at the door: bounded headers and body, refused by name.

Header names are matched case-insensitively, as HTTP matches them, whatever case the edge or
the adapter writes them in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from atelier_generation.domain.errors import InvalidInput

MAX_BODY_BYTES = 1024 * 1024
MAX_HEADERS = 64
MAX_HEADER_NAME = 200
MAX_HEADER_VALUE = 8 * 1024
# RFC 9110 token characters: what a header name may be made of.
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Headers(Mapping[str, str]):
    """HTTP headers, looked up by name in any case."""

    def __init__(self, pairs: Mapping[str, str]) -> None:
        self._by_name = {name.lower(): value for name, value in pairs.items()}
        self._names = {name.lower(): name for name in pairs}

    def __getitem__(self, name: str) -> str:
        return self._by_name[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name


def webhook_body(body: bytes) -> bytes:
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput("body", "must be at most 1 MiB", reason="BODY_TOO_LARGE")
    return body


def webhook_headers(pairs: Mapping[str, str]) -> Headers:
    if len(pairs) > MAX_HEADERS:
        raise InvalidInput("headers", f"must be at most {MAX_HEADERS}", reason="TOO_MANY_HEADERS")
    for name, value in pairs.items():
        if not 0 < len(name) <= MAX_HEADER_NAME or not set(name) <= _TOKEN:
            raise InvalidInput(
                "headers",
                f"names must be 1 to {MAX_HEADER_NAME} HTTP token characters",
                reason="INVALID_HEADER",
            )
        if len(value) > MAX_HEADER_VALUE or not all(c == "\t" or " " <= c != "\x7f" for c in value):
            raise InvalidInput(
                "headers",
                f"value of {name[:40]}: at most {MAX_HEADER_VALUE:,} characters, none a control",
                reason="INVALID_HEADER",
            )
    headers = Headers(pairs)
    if len(headers) != len(pairs):
        raise InvalidInput("headers", "a name is given twice", reason="INVALID_HEADER")
    return headers
