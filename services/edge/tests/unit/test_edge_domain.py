"""The edge's pure rules: token buckets, API key form and hash, client JSON bounds, key form."""

from __future__ import annotations

import pytest

from atelier_edge.domain import api_keys
from atelier_edge.domain.idempotency import fingerprint, is_valid_key
from atelier_edge.domain.json_shape import MAX_DEPTH, check_json_shape
from atelier_edge.domain.token_bucket import TokenBuckets


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    buckets = TokenBuckets(rate_per_s=2, burst=3)

    assert [buckets.take("a", now=0.0) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a", now=0.0) == pytest.approx(0.5)
    assert buckets.take("b", now=0.0) == 0


def test_a_bucket_refills_at_its_rate() -> None:
    buckets = TokenBuckets(rate_per_s=2, burst=1)
    buckets.take("a", now=0.0)

    assert buckets.take("a", now=0.25) > 0
    assert buckets.take("a", now=0.6) == 0


def test_a_new_key_is_shown_once_and_stored_as_its_hash() -> None:
    made = api_keys.new_key()

    assert api_keys.is_well_formed(made.secret)
    assert made.digest == api_keys.digest_of(made.secret) != made.secret
    assert made.secret.startswith(made.hint)
    assert not api_keys.is_well_formed(made.secret + "x")


@pytest.mark.parametrize("value", ["a\x00b", {"k": ["x\x00"]}, {"a\x00": 1}])
def test_nul_anywhere_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="NUL"):
        check_json_shape(value)


def test_nesting_past_the_limit_is_refused_without_recursion() -> None:
    deep: list[object] = []
    for _ in range(10_000):
        deep = [deep]

    with pytest.raises(ValueError, match=f"deeper than {MAX_DEPTH}"):
        check_json_shape(deep)


def test_idempotency_keys_and_fingerprints() -> None:
    assert is_valid_key("gen-2024-01-01T00:00:00Z")
    assert not is_valid_key("")
    assert not is_valid_key("has space")
    assert not is_valid_key("x" * 201)
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})
