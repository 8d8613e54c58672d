"""A generation's record and the saga's state machine: which step comes next, from the record alone.

No I/O here. The driver asks `next_step` what to do, does it, and records the result before it
asks again, so a process that dies anywhere leaves a record from which the next one resumes.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Status(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def ended(self) -> bool:
        return self in (Status.SUCCEEDED, Status.FAILED, Status.CANCELED)


class CreditsState(enum.StrEnum):
    NONE = "none"  # nothing frozen yet (or ever: insufficient credits)
    FROZEN = "frozen"
    CONFIRMED = "confirmed"
    ROLLED_BACK = "rolled_back"
    CHARGE_WAIVED = "charge_waived"


class Step(enum.StrEnum):
    """What the driver does next; DONE when nothing is left for this generation."""

    FREEZE = "freeze"
    ADMIT = "admit"  # wait for one of the account's running slots
    SUBMIT = "submit"
    WAIT = "wait"  # poll the recorded provider job until it ends or its deadline passes
    CANCEL = "cancel"  # record the cancel the account asked for
    CONFIRM = "confirm"
    ROLL_BACK = "roll_back"
    DONE = "done"


@dataclass(frozen=True)
class Failure:
    """Why a generation ended without outputs; `fault` is "user" or "provider"."""

    code: str
    message: str
    fault: str


@dataclass(frozen=True)
class StoredOutput:
    url: str
    content_type: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Generation:
    """One generation as recorded; `version` counts its recorded changes (events carry it)."""

    id: str
    account_id: str
    tool: str
    model: str
    params: Mapping[str, Any]
    cost: int
    status: Status
    credits: CreditsState
    created_at: datetime
    updated_at: datetime
    version: int = 1
    progress: int = 0
    provider: str = ""
    provider_job_id: str | None = None
    # What the job runs on: `model` itself or one of its fallbacks, and the provider's name
    # for it. The price stays `model`'s, frozen before the submit.
    run_model: str = ""
    provider_model: str = ""
    submit_attempts: int = 0
    deadline_at: datetime | None = None
    cancel_requested: bool = False
    outputs: tuple[StoredOutput, ...] = ()
    failure: Failure | None = None
    charged_freeze_id: str | None = None
    queue_position: int = field(default=0, compare=False)

    @property
    def settled(self) -> bool:
        return self.status.ended and self.credits is not CreditsState.FROZEN


def next_step(generation: Generation) -> Step:
    """The saga as a table over the record. Compensation comes before anything else, so an
    ended generation whose credits are still frozen is always settled first."""
    g = generation
    if g.status is Status.SUCCEEDED:
        return Step.CONFIRM if g.credits is CreditsState.FROZEN else Step.DONE
    if g.status.ended:
        return Step.ROLL_BACK if g.credits is CreditsState.FROZEN else Step.DONE
    if g.cancel_requested:
        return Step.CANCEL
    if g.credits is CreditsState.NONE:
        return Step.FREEZE
    if g.status is Status.QUEUED:
        return Step.ADMIT
    if g.provider_job_id is None:
        return Step.SUBMIT
    return Step.WAIT


def generation_id(account_id: str, idempotency_key: str) -> str:
    """Derived from the account and its key, so a retried Submit names the same generation
    (and the same freeze id in credits) even if the first answer was lost."""
    digest = hashlib.sha256(f"{account_id}\x00{idempotency_key}".encode()).hexdigest()
    return f"gen-{digest[:32]}"


def request_fingerprint(tool: str, model: str, params: Mapping[str, Any]) -> str:
    """What makes two Submits with one key "the same request": tool, model and checked params."""
    canonical = json.dumps([tool, model, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def late_charge_id(generation_id_: str) -> str:
    """The freeze id a success after the freeze expired is charged under, once."""
    return f"{generation_id_}:late"


INSUFFICIENT_CREDITS = Failure("insufficient_credits", "not enough credits", "user")
DEADLINE = "deadline_exceeded"
# A submit was sent and its answer never recorded (the driver died or stopped during the call).
SUBMIT_UNCONFIRMED = Failure(
    "submit_unconfirmed",
    "the provider call was interrupted and may have started a job; it is not sent again",
    "provider",
)
