"""Reading back what a JetStream stream holds, for assertions."""

from __future__ import annotations

from nats.js import JetStreamContext


async def stored_msg_ids(js: JetStreamContext, stream: str) -> list[str]:
    """The `Nats-Msg-Id` of every message still in `stream`, in the order it stored them."""
    last = (await js.stream_info(stream)).state.last_seq
    ids = []
    for seq in range(1, last + 1):
        msg = await js.get_msg(stream, seq=seq)
        assert msg.headers is not None, f"message {seq} of {stream} has no headers"
        ids.append(msg.headers["Nats-Msg-Id"])
    return ids
