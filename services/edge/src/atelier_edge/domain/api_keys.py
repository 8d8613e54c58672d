"""API keys: `atl_` and 43 url-safe characters (256 random bits); only a hash is ever kept.

A key has so much entropy that a plain SHA-256 is enough to store it: nobody can search the
space, so the slow, salted hashes passwords need would only slow every request down.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

PREFIX = "atl_"
_SHAPE = re.compile(r"^atl_[A-Za-z0-9_-]{43}$")
# Shown in listings so a person can tell their keys apart without the secret part.
HINT_CHARS = 8


@dataclass(frozen=True)
class NewKey:
    """A key just made: the secret (shown once), its hash and the id it is listed under."""

    key_id: str
    secret: str
    digest: str
    hint: str


def new_key() -> NewKey:
    secret = PREFIX + secrets.token_urlsafe(32)
    return NewKey(
        key_id="key_" + secrets.token_hex(8),
        secret=secret,
        digest=digest_of(secret),
        hint=secret[: len(PREFIX) + HINT_CHARS],
    )


def looks_like_key(text: str) -> bool:
    return text.startswith(PREFIX)


def is_well_formed(text: str) -> bool:
    return _SHAPE.fullmatch(text) is not None


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
