"""Idempotency keys of generation requests: their form, and the fingerprint of a request body.

A repeat is recognised by the same key with the same fingerprint; the fingerprint is taken from
the parsed body in a canonical form, so key order and spacing do not make two requests differ.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

MAX_KEY_CHARS = 200
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
KEY_FORM = f"1 to {MAX_KEY_CHARS} printable ASCII characters, no spaces"


def is_valid_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


def fingerprint(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
