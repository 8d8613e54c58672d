"""Request fields checked at the door: bounded, printable, decodable — or refused by name.

Whatever passes can be logged, stored in PostgreSQL (which refuses NUL and lone surrogates) and
handed to a provider, so a hostile value never reaches a worker.
"""

from __future__ import annotations

import json
import math
from typing import Any

from google.protobuf import json_format

from atelier_generation.domain.errors import InvalidInput, shown

MAX_ID = 200
MAX_PARAMS_BYTES = 64 * 1024
# Real params are flat; deep nesting is only ever an attack on a recursive reader.
MAX_DEPTH = 32


def catalogue_id(field: str, value: str) -> str:
    """A tool or model id: 1 to MAX_ID printable characters without outer spaces."""
    if not 0 < len(value) <= MAX_ID:
        raise InvalidInput(
            field, f"must be 1 to {MAX_ID} characters, got {len(value)}", reason="INVALID_ID"
        )
    if not value.isprintable() or value.strip() != value:
        raise InvalidInput(
            field, f"must be printable, without outer spaces: {shown(value)}", reason="INVALID_ID"
        )
    return value


def params_object(field: str, text: str) -> dict[str, Any]:
    """The params text as a JSON object (empty text: no params)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_PARAMS_BYTES:
        raise InvalidInput(
            field, f"must be at most {MAX_PARAMS_BYTES:,} bytes", reason="PARAMS_TOO_LARGE"
        )
    if "\x00" in text:
        raise InvalidInput(field, "must not contain NUL characters", reason="INVALID_PARAMS_JSON")
    if not text.strip():
        return {}
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, RecursionError) as error:
        raise InvalidInput(
            field, f"is not valid JSON ({_why(error)})", reason="INVALID_PARAMS_JSON"
        ) from None
    if not isinstance(value, dict):
        raise InvalidInput(field, "must be a JSON object", reason="INVALID_PARAMS_JSON")
    _check_values(field, value, 1)
    return value


MAX_PAGE = 100
DEFAULT_PAGE = 20
_TOKEN_PREFIX = "g"


def submitted_params(request: Any) -> dict[str, Any]:
    """`params_json` (or the `params` Struct), with a non-empty `prompt` filling "prompt"."""
    if request.input_media_ids:
        # Media inputs come with the media service; until then input files are URLs in params.
        raise InvalidInput(
            "input_media_ids",
            "media inputs are not supported yet; give input files as URLs in the params",
            reason="UNSUPPORTED_FIELD",
        )
    if request.params_json or not request.HasField("params"):
        params = params_object("params_json", request.params_json)
    else:
        params = params_object("params", json_format.MessageToJson(request.params))
    if request.prompt:
        if len(request.prompt) > MAX_PARAMS_BYTES or "\x00" in request.prompt:
            raise InvalidInput(
                "prompt", "must be at most 64 KiB without NUL", reason="INVALID_PROMPT"
            )
        _check_text("prompt", request.prompt)
        params.setdefault("prompt", request.prompt)
    return params


def page_size(value: int) -> int:
    if value == 0:
        return DEFAULT_PAGE
    if not 0 < value <= MAX_PAGE:
        raise InvalidInput(
            "page_size", f"must be 1 to {MAX_PAGE}, got {value}", reason="INVALID_PAGE_SIZE"
        )
    return value


def page_token(value: str) -> int | None:
    """A token this service issued (`g<seq>`), or None for the first page."""
    if not value:
        return None
    digits = value[len(_TOKEN_PREFIX) :]
    if not value.startswith(_TOKEN_PREFIX) or not digits.isdigit() or len(digits) > 18:
        raise InvalidInput(
            "page_token", "is not a token this service issued", reason="INVALID_PAGE_TOKEN"
        )
    return int(digits)


def token_after(seq: int | None) -> str:
    return "" if seq is None else f"{_TOKEN_PREFIX}{seq}"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number too large for a float")
    return number


def _why(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error).split(":")[0][:100]


def _check_values(field: str, value: object, depth: int) -> None:
    """No NUL (JSON can smuggle one in as \\u0000), no lone surrogates, bounded depth."""
    if depth > MAX_DEPTH:
        raise InvalidInput(
            field, f"must nest at most {MAX_DEPTH} levels", reason="INVALID_PARAMS_JSON"
        )
    if isinstance(value, str):
        _check_text(field, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(field, key)
            _check_values(field, item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_values(field, item, depth + 1)


def _check_text(field: str, text: str) -> None:
    if "\x00" in text:
        raise InvalidInput(field, "must not contain NUL characters", reason="INVALID_PARAMS_JSON")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            field, "must not contain lone surrogates", reason="INVALID_PARAMS_JSON"
        ) from None
