"""A callback's headers and body checked at the door; names looked up in any case."""

from __future__ import annotations

import pytest

from atelier_generation.api.webhook_inputs import MAX_BODY_BYTES, webhook_body, webhook_headers
from atelier_generation.domain.errors import InvalidInput


def test_header_names_are_matched_in_any_case() -> None:
    headers = webhook_headers({"Webhook-Signature": "v1,abc", "content-type": "application/json"})

    assert headers["webhook-signature"] == headers["WEBHOOK-SIGNATURE"] == "v1,abc"
    assert "Content-Type" in headers
    assert sorted(headers) == ["Webhook-Signature", "content-type"]


@pytest.mark.parametrize(
    "pairs",
    [
        {"bad name": "x"},
        {"": "x"},
        {"x" * 201: "x"},
        {"webhook-id": "a\nb"},
        {"webhook-id": "a\x00b"},
        {"webhook-id": "x" * 9000},
        {"Webhook-Id": "a", "webhook-id": "b"},
        {f"h{n}": "x" for n in range(65)},
    ],
)
def test_malformed_headers_are_refused_by_name(pairs: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        webhook_headers(pairs)

    assert refused.value.metadata["field"] == "headers"
    assert len(refused.value.message) < 200


def test_a_body_above_one_mebibyte_is_refused() -> None:
    assert webhook_body(b"x" * MAX_BODY_BYTES) == b"x" * MAX_BODY_BYTES
    with pytest.raises(InvalidInput) as refused:
        webhook_body(b"x" * (MAX_BODY_BYTES + 1))
    assert refused.value.metadata["field"] == "body"
