"""The music fake follows the Suno-style task protocol (sunoapi.org / kie.ai family A): there is
no official client, so these tests speak the documented wire shapes with plain HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from atelier_testing.provider_fakes.common_inline import CallbackReceiver, serving
from atelier_testing.provider_fakes.music import MusicFake


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with serving(CallbackReceiver(fail_first=1)) as running:
        yield running


def submit(fake: MusicFake, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    answer = httpx.post(
        f"{fake.base_url}/api/v1/generate",
        json=body,
        headers={"authorization": f"Bearer {key or fake.api_key}"},
    )
    result: dict[str, Any] = answer.json()
    return result


def record(fake: MusicFake, task_id: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{fake.base_url}/api/v1/generate/record-info",
        params={"taskId": task_id},
        headers={"authorization": f"Bearer {fake.api_key}"},
    )
    assert answer.status_code == 200
    data: dict[str, Any] = answer.json()["data"]
    return data


def song(receiver: CallbackReceiver, prompt: str = "calm piano") -> dict[str, Any]:
    return {"prompt": prompt, "customMode": False, "instrumental": False, "model": "V4_5",
            "callBackUrl": receiver.url}  # fmt: skip


def wait_for(predicate: Any, within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_task_moves_through_its_stages_with_the_stream_before_the_download(
    receiver: CallbackReceiver,
) -> None:
    with serving(MusicFake(stage_s=0.5)) as fake:
        task_id = submit(fake, song(receiver))["data"]["taskId"]
        seen: dict[str, dict[str, Any]] = {}
        wait_for(
            lambda: (
                seen.setdefault((r := record(fake, task_id))["status"], r)["status"] == "SUCCESS"
            )
        )
        assert list(seen) == ["PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS"]
        text_clips = seen["TEXT_SUCCESS"]["response"]["sunoData"]
        assert all(c["streamAudioUrl"] and not c["audioUrl"] for c in text_clips)
        done = seen["SUCCESS"]["response"]["sunoData"]
        assert len(done) == 2
        audio = httpx.get(done[0]["audioUrl"])
        assert audio.status_code == 200
        assert audio.content[:4] == b"RIFF"


def test_callbacks_are_snake_case_signed_and_retried_until_a_2xx(
    receiver: CallbackReceiver,
) -> None:
    with serving(MusicFake(stage_s=0.05)) as fake:
        task_id = submit(fake, song(receiver))["data"]["taskId"]
        wait_for(
            lambda: [k for k, s in fake.callbacks if s == 200] == ["text", "first", "complete"]
        )
    assert fake.callbacks[0] == ("text", 500)
    last = receiver.deliveries[-1]
    body = json.loads(last.body)
    assert body["data"]["callbackType"] == "complete"
    assert body["data"]["task_id"] == task_id
    assert {"audio_url", "stream_audio_url", "image_url"} <= set(body["data"]["data"][0])
    timestamp = last.headers["x-webhook-timestamp"]
    expected = hmac.new(
        fake.webhook_hmac_key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256
    )
    assert last.headers["x-webhook-signature"] == base64.b64encode(expected.digest()).decode()


def test_a_flagged_prompt_ends_in_an_error_callback(receiver: CallbackReceiver) -> None:
    receiver.fail_first = 0
    with serving(MusicFake()) as fake:
        task_id = submit(fake, song(receiver, "[fake:sensitive]"))["data"]["taskId"]
        assert record(fake, task_id)["status"] == "SENSITIVE_WORD_ERROR"
        wait_for(lambda: bool(receiver.deliveries))
    assert json.loads(receiver.deliveries[0].body)["data"]["callbackType"] == "error"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"prompt": "[fake:credits]"}, 429),
        ({"prompt": "[fake:430]"}, 430),
        ({"customMode": True}, 400),
        ({"prompt": "x" * 501}, 413),
        ({"model": "V9"}, 400),
        ({"callBackUrl": None}, 400),
    ],
)
def test_errors_are_signalled_in_the_body_code(
    receiver: CallbackReceiver, change: dict[str, Any], code: int
) -> None:
    with serving(MusicFake()) as fake:
        answer = submit(fake, song(receiver) | change)
    assert answer["code"] == code
    assert answer["data"] is None


def test_a_wrong_key_is_code_401_and_files_expire(receiver: CallbackReceiver) -> None:
    with serving(MusicFake(retention_s=0.0)) as fake:
        assert submit(fake, song(receiver), key="wrong")["code"] == 401
        task_id = submit(fake, song(receiver))["data"]["taskId"]
        url = record(fake, task_id)["response"]["sunoData"][0]["audioUrl"]
        assert httpx.get(url).status_code == 404
