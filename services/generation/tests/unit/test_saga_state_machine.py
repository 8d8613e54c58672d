"""The saga's next step follows from the record alone, compensation first."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from atelier_generation.domain.generation import (
    CreditsState,
    Generation,
    Status,
    Step,
    generation_id,
    late_charge_id,
    next_step,
    request_fingerprint,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
RECORDED = Generation(
    "gen-1", "acct-1", "text-to-image", "local", {"prompt": "a kite"}, 2,
    Status.QUEUED, CreditsState.NONE, created_at=NOW, updated_at=NOW,
)  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "step"),
    [
        ({}, Step.FREEZE),
        ({"credits": CreditsState.FROZEN}, Step.ADMIT),
        ({"credits": CreditsState.FROZEN, "status": Status.RUNNING}, Step.SUBMIT),
        (
            {"credits": CreditsState.FROZEN, "status": Status.RUNNING, "provider_job_id": "j"},
            Step.WAIT,
        ),
        ({"credits": CreditsState.FROZEN, "status": Status.SUCCEEDED}, Step.CONFIRM),
        ({"credits": CreditsState.FROZEN, "status": Status.FAILED}, Step.ROLL_BACK),
        ({"credits": CreditsState.FROZEN, "status": Status.CANCELED}, Step.ROLL_BACK),
        ({"credits": CreditsState.CONFIRMED, "status": Status.SUCCEEDED}, Step.DONE),
        ({"credits": CreditsState.CHARGE_WAIVED, "status": Status.SUCCEEDED}, Step.DONE),
        ({"credits": CreditsState.ROLLED_BACK, "status": Status.FAILED}, Step.DONE),
        ({"status": Status.FAILED}, Step.DONE),  # insufficient credits: nothing to undo
    ],
)
def test_the_next_step_follows_from_the_record(changes: dict[str, object], step: Step) -> None:
    assert next_step(replace(RECORDED, **changes)) is step  # type: ignore[arg-type]


def test_a_cancel_comes_before_any_further_step() -> None:
    running = replace(
        RECORDED, credits=CreditsState.FROZEN, status=Status.RUNNING, provider_job_id="j"
    )
    assert next_step(replace(running, cancel_requested=True)) is Step.CANCEL


def test_an_ended_generation_settles_even_when_a_cancel_was_asked() -> None:
    succeeded = replace(
        RECORDED, credits=CreditsState.FROZEN, status=Status.SUCCEEDED, cancel_requested=True
    )
    assert next_step(succeeded) is Step.CONFIRM


def test_the_id_derives_from_the_account_and_its_key() -> None:
    assert generation_id("acct-1", "k") == generation_id("acct-1", "k")
    assert generation_id("acct-1", "k") != generation_id("acct-2", "k")
    assert late_charge_id("gen-1") == "gen-1:late"


def test_the_fingerprint_ignores_key_order_but_not_values() -> None:
    one = request_fingerprint("t", "m", {"a": 1, "b": 2})
    assert one == request_fingerprint("t", "m", {"b": 2, "a": 1})
    assert one != request_fingerprint("t", "m", {"a": 1, "b": 3})
