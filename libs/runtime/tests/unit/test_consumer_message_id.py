from __future__ import annotations

from nats.aio.msg import Msg

from atelier_runtime.consumer import message_id

# The reply subject JetStream gives a delivered message: stream ORDERS, stream sequence 17.
_REPLY = "$JS.ACK.ORDERS.audit.1.17.5.1700000000000000000.0"


def test_the_message_id_is_the_producers_event_id() -> None:
    msg = Msg(None, subject="atelier.x.y", reply=_REPLY, headers={"Nats-Msg-Id": "evt-1"})  # type: ignore[arg-type]

    assert message_id(msg) == "evt-1"


def test_a_message_without_an_event_id_is_known_by_its_stream_sequence() -> None:
    msg = Msg(None, subject="atelier.x.y", reply=_REPLY, headers=None)  # type: ignore[arg-type]

    assert message_id(msg) == "ORDERS:17"
