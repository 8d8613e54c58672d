"""Ledger events as the protobuf facts other services consume (atelier.events.v1, one envelope)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.protobuf.message import Message

from atelier.events.v1 import credits_pb2, envelope_pb2
from atelier_runtime.proto_time import to_optional_timestamp

_REASONS = {
    "failed": credits_pb2.ROLLBACK_REASON_FAILED,
    "canceled": credits_pb2.ROLLBACK_REASON_CANCELED,
    "expired": credits_pb2.ROLLBACK_REASON_EXPIRED,
}


def _draws(draws: list[dict[str, Any]]) -> list[credits_pb2.GrantDraw]:
    return [credits_pb2.GrantDraw(grant_id=d["grant_id"], amount=d["amount"]) for d in draws]


def _opened(e: Any, account_id: str) -> Message:
    return credits_pb2.CreditsAccountOpened(account_id=account_id)


def _granted(e: Any, account_id: str) -> Message:
    return credits_pb2.CreditsGranted(
        account_id=account_id,
        grant_id=e.grant_id,
        amount=e.amount,
        source=e.source,
        priority=e.priority,
        expires_at=to_optional_timestamp(e.expires_at),
        reference=getattr(e, "reference", ""),
    )


def _frozen(e: Any, account_id: str) -> Message:
    return credits_pb2.CreditsFrozen(
        account_id=account_id,
        freeze_id=e.freeze_id,
        amount=e.amount,
        reference=e.reference,
        expires_at=to_optional_timestamp(e.expires_at),
        draws=_draws(e.draws),
    )


def _confirmed(e: Any, account_id: str) -> Message:
    return credits_pb2.CreditsConfirmed(
        account_id=account_id,
        freeze_id=e.freeze_id,
        amount=e.amount,
        released=sum(d["amount"] for d in e.released),
    )


def _rolled_back(e: Any, account_id: str) -> Message:
    return credits_pb2.CreditsRolledBack(
        account_id=account_id, freeze_id=e.freeze_id, amount=e.amount, reason=_REASONS[e.reason]
    )


def _grant_expired(e: Any, account_id: str) -> Message:
    return credits_pb2.CreditsGrantExpired(
        account_id=account_id, grant_id=e.grant_id, amount=e.amount
    )


def _revoked(e: Any, account_id: str) -> Message:
    revoked = sum(d["amount"] for d in e.draws)
    return credits_pb2.CreditsRevoked(
        account_id=account_id,
        revocation_id=e.revocation_id,
        requested=e.amount,
        revoked=revoked,
        shortfall=e.amount - revoked,
        reason=e.reason,
        reference=e.reference,
    )


# Domain event class name → (subject suffix, payload builder). One table, no if/elif chain.
EVENT_MESSAGES: dict[str, tuple[str, Callable[[Any, str], Message]]] = {
    "Opened": ("opened", _opened),
    "Granted": ("granted", _granted),
    "Frozen": ("frozen", _frozen),
    "Confirmed": ("confirmed", _confirmed),
    "RolledBack": ("rolled_back", _rolled_back),
    "GrantExpired": ("grant_expired", _grant_expired),
    "Revoked": ("revoked", _revoked),
}


def event_name(domain_event: Any) -> str:
    return type(domain_event).__name__


def envelope_for(domain_event: Any, account_id: str) -> tuple[str, envelope_pb2.Envelope]:
    """(subject suffix, envelope) of one recorded ledger event; its id is `<stream>:<version>`."""
    suffix, build = EVENT_MESSAGES[event_name(domain_event)]
    payload = build(domain_event, account_id)
    envelope = envelope_pb2.Envelope(
        event_id=message_id(domain_event.originator_id, domain_event.originator_version),
        type=payload.DESCRIPTOR.full_name,
        occurred_at=to_optional_timestamp(domain_event.timestamp),
        subject_id=account_id,
        producer="credits",
        subject_version=domain_event.originator_version,
    )
    envelope.payload.Pack(payload)
    return suffix, envelope


def message_id(originator_id: Any, version: int) -> str:
    return f"{originator_id}:{version}"
