"""The OpenAI fake speaks the real protocol: the official `openai` client round-trips through it."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import httpx
import openai
import pytest
from PIL import Image

from atelier_testing.provider_fakes.common_inline import serving
from atelier_testing.provider_fakes.openai import OpenAIFake


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    with serving(OpenAIFake(retry_after_s=0.01)) as running:
        yield running


def client(fake: OpenAIFake, *, key: str | None = None, retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(
        api_key=key or fake.api_key, base_url=f"{fake.base_url}/v1", max_retries=retries
    )


def test_gpt_image_generation_returns_base64_pictures_and_usage(fake: OpenAIFake) -> None:
    result = client(fake).images.generate(
        model="gpt-image-1", prompt="a watercolor fox", n=2, size="1536x1024", output_format="webp"
    )
    assert result.data is not None
    assert len(result.data) == 2
    picture = Image.open(io.BytesIO(base64.b64decode(result.data[0].b64_json or "")))
    assert picture.format == "WEBP"
    assert picture.size == (96, 64)
    assert result.usage is not None
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens
    assert result.output_format == "webp"


def test_dall_e_3_url_serves_the_picture_and_a_revised_prompt(fake: OpenAIFake) -> None:
    result = client(fake).images.generate(
        model="dall-e-3", prompt="a lighthouse", response_format="url"
    )
    assert result.data is not None
    item = result.data[0]
    assert item.revised_prompt
    assert item.url is not None
    answer = httpx.get(item.url)
    assert answer.status_code == 200
    assert Image.open(io.BytesIO(answer.content)).format == "PNG"


def test_url_expires() -> None:
    with serving(OpenAIFake(url_ttl_s=0.0)) as short:
        result = client(short).images.generate(model="dall-e-2", prompt="a cat")
        assert result.data is not None
        assert result.data[0].url is not None
        assert httpx.get(result.data[0].url).status_code == 404


def test_edits_take_repeated_image_parts_and_a_mask(fake: OpenAIFake) -> None:
    png = io.BytesIO()
    Image.new("RGBA", (8, 8)).save(png, format="PNG")
    parts = [("a.png", png.getvalue(), "image/png"), ("b.png", png.getvalue(), "image/png")]
    result = client(fake).images.edit(
        model="gpt-image-1",
        image=parts,
        mask=("mask.png", png.getvalue(), "image/png"),
        prompt="add a hat",
    )
    assert result.data is not None
    assert result.data[0].b64_json
    assert fake.calls[-1][:2] == ("edits", "gpt-image-1")


def test_wrong_key_is_an_authentication_error(fake: OpenAIFake) -> None:
    with pytest.raises(openai.AuthenticationError) as raised:
        client(fake, key="sk-wrong").images.generate(model="gpt-image-1", prompt="x")
    assert raised.value.code == "invalid_api_key"


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"model": "dall-e-3", "n": 2}, "n"),
        ({"model": "gpt-image-1", "response_format": "url"}, "response_format"),
        ({"model": "dall-e-2", "size": "1536x1024"}, "size"),
        ({"model": "dall-e-2", "style": "vivid"}, "style"),
        ({"model": "dall-e-3", "background": "transparent"}, "background"),
    ],
)
def test_per_model_rules_refuse_naming_the_param(
    fake: OpenAIFake, kwargs: dict[str, object], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client(fake).images.generate(prompt="x", **kwargs)  # type: ignore[call-overload]
    assert raised.value.param == param


def test_moderation_block_is_a_400_the_client_does_not_retry(fake: OpenAIFake) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client(fake, retries=2).images.generate(model="gpt-image-1", prompt="[fake:moderation]")
    assert raised.value.code == "moderation_blocked"
    assert fake.calls_with("[fake:moderation]") == 1


def test_the_client_retries_a_rate_limit_honouring_retry_after(fake: OpenAIFake) -> None:
    result = client(fake, retries=2).images.generate(model="gpt-image-1", prompt="p [fake:429:1]")
    assert result.data is not None
    assert fake.calls_with("[fake:429:1]") == 2


def test_x_should_retry_false_stops_the_client_retrying_a_500(fake: OpenAIFake) -> None:
    with pytest.raises(openai.InternalServerError):
        client(fake, retries=2).images.generate(
            model="gpt-image-1", prompt="[fake:500] [fake:no-retry]"
        )
    assert fake.calls_with("[fake:500] [fake:no-retry]") == 1


def test_an_edit_keeps_each_uploaded_file_exactly_as_the_client_sent_it(fake: OpenAIFake) -> None:
    first, second = _png((8, 8), "red"), _png((8, 8), "blue")
    client(fake).images.edit(model="gpt-image-1", image=("a.png", first, "image/png"), prompt="x")
    assert fake.uploads[-1] == ("image", "a.png", "image/png", first)
    client(fake).images.edit(
        model="gpt-image-1",
        image=[("a.png", first, "image/png"), ("b.png", second, "image/png")],
        prompt="y",
    )
    assert [(u[0], u[3]) for u in fake.uploads[-2:]] == [("image[]", first), ("image[]", second)]


def test_an_edit_file_without_an_image_type_is_refused_naming_its_mimetype(
    fake: OpenAIFake,
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client(fake).images.edit(model="gpt-image-1", image=_png((8, 8), "red"), prompt="x")
    assert raised.value.param == "image"
    assert "unsupported mimetype ('application/octet-stream')" in raised.value.message


def test_an_edit_file_that_is_not_the_image_it_claims_is_refused(fake: OpenAIFake) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client(fake).images.edit(
            model="gpt-image-1", image=("a.png", b"RIFF....WAVEfmt ", "image/png"), prompt="x"
        )
    assert raised.value.code == "invalid_image_file"
    assert not fake.uploads


def test_dall_e_2_edits_take_only_a_square_png(fake: OpenAIFake) -> None:
    wide = ("wide.png", _png((16, 8), "red"), "image/png")
    with pytest.raises(openai.BadRequestError) as raised:
        client(fake).images.edit(model="dall-e-2", image=wide, prompt="x")
    assert raised.value.param == "image"
    square = ("square.png", _png((8, 8), "red"), "image/png")
    assert client(fake).images.edit(model="dall-e-2", image=square, prompt="x").data


def _png(size: tuple[int, int], colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, format="PNG")
    return out.getvalue()
