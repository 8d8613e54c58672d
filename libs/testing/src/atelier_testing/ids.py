"""Random, readable ids for anything that lives in shared test infrastructure."""

from __future__ import annotations

import secrets


def random_id(prefix: str) -> str:
    """`random_id("acct")` → `acct-3f9a1c`: unique enough per session, readable in logs."""
    return f"{prefix}-{secrets.token_hex(3)}"


def random_name(prefix: str) -> str:
    """A random identifier safe as a database, stream or bucket name component (lowercase, no dashes)."""
    return f"{prefix}{secrets.token_hex(4)}"
