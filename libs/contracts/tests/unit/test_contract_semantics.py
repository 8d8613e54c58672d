"""Field presence and enum copies that the services rely on."""

from __future__ import annotations

from google.protobuf.descriptor import EnumDescriptor

from atelier.credits.v1 import credits_admin_pb2, credits_pb2
from atelier.events.v1 import credits_pb2 as credit_events_pb2
from atelier.events.v1 import media_pb2 as media_events_pb2
from atelier.generation.v1 import generation_pb2
from atelier.media.v1 import media_pb2


# The API and the events keep separate copies of some enums; translation between them goes by name.
def numbers_by_name(enum: EnumDescriptor) -> dict[str, int]:
    return {value.name: value.number for value in enum.values}


def test_confirm_without_amount_differs_from_confirming_zero() -> None:
    confirm_all = credits_pb2.ConfirmRequest(account_id="acct-1", freeze_id="f-1")
    confirm_zero = credits_pb2.ConfirmRequest(account_id="acct-1", freeze_id="f-1", amount=0)

    assert not confirm_all.HasField("amount")
    assert confirm_zero.HasField("amount")
    assert confirm_all.SerializeToString() != confirm_zero.SerializeToString()


def test_freeze_without_ttl_leaves_the_default_to_the_server() -> None:
    assert not credits_pb2.FreezeRequest(freeze_id="f-1", amount=5).HasField("ttl")


def test_an_audit_of_every_account_differs_from_an_audit_of_an_empty_id() -> None:
    assert not credits_admin_pb2.AuditRequest().HasField("account_id")
    assert credits_admin_pb2.AuditRequest(account_id="").HasField("account_id")


def test_a_violation_of_a_whole_row_has_no_version() -> None:
    assert not credits_admin_pb2.AuditViolation(rule="balance_projection").HasField("version")
    assert credits_admin_pb2.AuditViolation(version=0).HasField("version")


def test_rollback_reasons_are_the_same_in_the_api_and_the_events() -> None:
    api_reasons = numbers_by_name(credits_pb2.RollbackReason.DESCRIPTOR)
    event_reasons = numbers_by_name(credit_events_pb2.RollbackReason.DESCRIPTOR)

    assert api_reasons == event_reasons
    assert api_reasons["ROLLBACK_REASON_UNSPECIFIED"] == 0


def test_stored_by_is_the_same_in_the_api_and_the_events() -> None:
    assert numbers_by_name(media_pb2.StoredBy.DESCRIPTOR) == numbers_by_name(
        media_events_pb2.StoredBy.DESCRIPTOR
    )


def test_every_enum_starts_with_an_unspecified_zero_value() -> None:
    enums = [
        credits_pb2.RollbackReason.DESCRIPTOR,
        credit_events_pb2.RollbackReason.DESCRIPTOR,
        generation_pb2.GenerationStatus.DESCRIPTOR,
        media_pb2.MediaStatus.DESCRIPTOR,
        media_pb2.StoredBy.DESCRIPTOR,
        media_events_pb2.StoredBy.DESCRIPTOR,
    ]

    for enum in enums:
        assert enum.values_by_number[0].name.endswith("_UNSPECIFIED"), enum.full_name
