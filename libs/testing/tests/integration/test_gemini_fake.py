"""The Gemini fake speaks the real protocol: the official `google-genai` client round-trips an
image through `generateContent` and a Veo video through its long-running operation."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator

import httpx
import pytest
from google import genai
from google.genai import errors, types
from PIL import Image

from atelier_testing.provider_fakes.common_inline import serving
from atelier_testing.provider_fakes.gemini import GeminiFake


@pytest.fixture
def fake() -> Iterator[GeminiFake]:
    with serving(GeminiFake(video_s=0.2)) as running:
        yield running


# The client closes its connections when garbage-collected: tests keep it in a variable.
def client(fake: GeminiFake, key: str | None = None) -> genai.Client:
    options = types.HttpOptions(
        base_url=fake.base_url,
        api_version="v1beta",
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    return genai.Client(api_key=key or fake.api_key, http_options=options)


def submitted_veo(fake: GeminiFake, body: dict[str, object]) -> types.GenerateVideosOperation:
    """A Veo submit as the REST API takes it.

    The current client refuses `generate_videos` outside Vertex mode, so the submit is sent
    as-is; polling, parsing the result and downloading go through the client.
    """
    answer = httpx.post(
        f"{fake.base_url}/v1beta/models/veo-3.0-generate-001:predictLongRunning",
        json=body,
        headers={"x-goog-api-key": fake.api_key},
    )
    assert answer.status_code == 200, answer.text
    return types.GenerateVideosOperation.model_validate({"name": answer.json()["name"]})


def finished(
    google: genai.Client, operation: types.GenerateVideosOperation
) -> types.GenerateVideosOperation:
    deadline = time.monotonic() + 10
    while not operation.done and time.monotonic() < deadline:
        time.sleep(0.05)
        operation = google.operations.get(operation)
    return operation


def test_generate_content_returns_an_inline_image_and_usage(fake: GeminiFake) -> None:
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    google = client(fake)
    response = google.models.generate_content(
        model="gemini-2.5-flash-image",
        contents=types.Content(
            role="user",
            parts=[
                types.Part.from_text(text="Put this cat in a fancy restaurant"),
                types.Part.from_bytes(data=png.getvalue(), mime_type="image/png"),
            ],
        ),
        config=types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="16:9"),
        ),
    )
    images = [
        part.inline_data
        for part in response.candidates[0].content.parts  # type: ignore[index, union-attr]
        if part.inline_data is not None
    ]
    assert len(images) == 1
    assert images[0].mime_type == "image/png"
    picture = Image.open(io.BytesIO(images[0].data or b""))
    assert picture.size == (112, 63)
    assert response.usage_metadata is not None
    assert response.usage_metadata.total_token_count
    assert fake.images == [("generateContent", "image/png", png.getvalue())]


def test_an_input_image_that_is_not_the_type_it_declares_is_refused(fake: GeminiFake) -> None:
    google = client(fake)
    with pytest.raises(errors.ClientError) as refused:
        google.models.generate_content(
            model="gemini-2.5-flash-image",
            contents=types.Content(
                role="user",
                parts=[
                    types.Part.from_text(text="a cat"),
                    types.Part.from_bytes(data=b"RIFF0000WAVEfmt ", mime_type="image/png"),
                ],
            ),
        )
    assert refused.value.status == "INVALID_ARGUMENT"
    assert "Unable to process input image" in (refused.value.message or "")
    assert not fake.images


def test_a_safety_block_is_a_200_without_an_image(fake: GeminiFake) -> None:
    google = client(fake)
    response = google.models.generate_content(
        model="gemini-2.5-flash-image", contents="[fake:image-safety]"
    )
    assert response.candidates is not None
    assert response.candidates[0].finish_reason == types.FinishReason.IMAGE_SAFETY
    blocked = google.models.generate_content(
        model="gemini-2.5-flash-image", contents="[fake:blocked]"
    )
    assert blocked.prompt_feedback is not None
    assert blocked.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT


def test_a_bad_key_and_quota_are_google_rpc_errors(fake: GeminiFake) -> None:
    google, stranger = client(fake), client(fake, key="wrong")
    with pytest.raises(errors.ClientError) as bad_key:
        stranger.models.generate_content(model="gemini-2.5-flash-image", contents="a cat")
    assert bad_key.value.code == 400
    assert bad_key.value.status == "INVALID_ARGUMENT"
    assert "API key not valid" in (bad_key.value.message or "")
    with pytest.raises(errors.ClientError) as quota:
        google.models.generate_content(model="gemini-2.5-flash-image", contents="[fake:429]")
    assert quota.value.status == "RESOURCE_EXHAUSTED"
    with pytest.raises(errors.ServerError) as down:
        google.models.generate_content(model="gemini-2.5-flash-image", contents="[fake:503]")
    assert down.value.status == "UNAVAILABLE"


def test_veo_runs_as_an_operation_and_the_video_downloads_with_the_key(fake: GeminiFake) -> None:
    google, stranger = client(fake), client(fake, key="wrong")
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    image = {
        "bytesBase64Encoded": base64.b64encode(png.getvalue()).decode(),
        "mimeType": "image/png",
    }
    operation = submitted_veo(
        fake,
        {
            "instances": [{"prompt": "A cat playing piano", "image": image}],
            "parameters": {"aspectRatio": "16:9", "durationSeconds": 8, "sampleCount": 1},
        },
    )
    assert operation.name is not None
    assert operation.name.startswith("models/veo-3.0-generate-001/operations/")
    assert fake.images == [("predictLongRunning", "image/png", png.getvalue())]
    operation = finished(google, operation)
    assert operation.done
    assert operation.response is not None
    videos = operation.response.generated_videos or []
    assert len(videos) == 1
    assert videos[0].video is not None
    uri = videos[0].video.uri or ""
    assert uri.startswith(f"{fake.base_url}/v1beta/files/")
    # The client reduces an https:// URI to its file id; over the fake's http:// it needs the id.
    file_id = uri.split("/files/")[1].split(":")[0]
    data = google.files.download(file=types.Video(uri=f"files/{file_id}"))
    assert data[4:8] == b"ftyp"
    with pytest.raises(errors.ClientError):
        stranger.files.download(file=types.Video(uri=f"files/{file_id}"))


def test_veo_refuses_an_unknown_parameter(fake: GeminiFake) -> None:
    answer = httpx.post(
        f"{fake.base_url}/v1beta/models/veo-3.0-generate-001:predictLongRunning",
        json={"instances": [{"prompt": "x"}], "parameters": {"seed": 1}},
        params={"key": fake.api_key},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_a_veo_failure_ends_the_operation_with_an_error(fake: GeminiFake) -> None:
    google = client(fake)
    operation = finished(
        google, submitted_veo(fake, {"instances": [{"prompt": "[fake:video-error]"}]})
    )
    assert operation.error is not None
    assert operation.error["code"] == 13
