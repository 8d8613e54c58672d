"""A generation's record as the `atelier.generation.v1.Generation` message."""

from __future__ import annotations

from atelier.generation.v1 import generation_pb2 as pb
from atelier_generation.domain.generation import CreditsState, Generation, Status
from atelier_runtime.proto_time import to_optional_timestamp, to_timestamp

_STATUS = {
    Status.QUEUED: pb.GENERATION_STATUS_QUEUED,
    Status.RUNNING: pb.GENERATION_STATUS_RUNNING,
    Status.SUCCEEDED: pb.GENERATION_STATUS_SUCCEEDED,
    Status.FAILED: pb.GENERATION_STATUS_FAILED,
    Status.CANCELED: pb.GENERATION_STATUS_CANCELED,
}
_CREDITS = {
    CreditsState.NONE: pb.CREDITS_STATE_UNSPECIFIED,
    CreditsState.FROZEN: pb.CREDITS_STATE_FROZEN,
    CreditsState.CONFIRMED: pb.CREDITS_STATE_CONFIRMED,
    CreditsState.ROLLED_BACK: pb.CREDITS_STATE_ROLLED_BACK,
    CreditsState.CHARGE_WAIVED: pb.CREDITS_STATE_CHARGE_WAIVED,
}


def generation_message(g: Generation) -> pb.Generation:
    failure = g.failure
    return pb.Generation(
        id=g.id,
        account_id=g.account_id,
        status=_STATUS[g.status],
        progress=g.progress,
        cost=g.cost,
        tool=g.tool,
        model=g.model,
        outputs=[
            pb.Output(
                url=o.url,
                content_type=o.content_type,
                expires_at=to_optional_timestamp(o.expires_at),
                index=n,
                media_id=f"{g.id}-{n}",
            )
            for n, o in enumerate(g.outputs)
        ],
        error=failure.message if failure else "",
        created_at=to_timestamp(g.created_at),
        updated_at=to_timestamp(g.updated_at),
        credits_state=_CREDITS[g.credits],
        failure=(
            pb.GenerationError(code=failure.code, message=failure.message, fault=failure.fault)
            if failure
            else None
        ),
        queue_position=g.queue_position,
        cancel_requested=g.cancel_requested and not g.status.ended,
    )
