"""fal's own Python client, pointed at the fake, submits, follows the status and reads the
result: proof that the fake speaks fal's queue protocol. The client builds its queue URLs from
a module constant with https://, so the test points that constant at the fake's http root."""

from __future__ import annotations

import fal_client
import fal_client.client
import httpx
import pytest

from atelier_testing.provider_fakes.fal import FakeFal


@pytest.fixture
def client() -> fal_client.AsyncClient:
    return fal_client.AsyncClient(key="fake-key-id:fake-key-secret")


async def test_submit_status_and_result(
    client: fal_client.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeFal() as fake, httpx.AsyncClient(trust_env=False) as http:
        monkeypatch.setattr(fal_client.client, "QUEUE_URL_FORMAT", f"{fake.url}/")
        handle = await client.submit("fal-ai/flux/dev", arguments={"prompt": "a fox"})
        assert handle.status_url == f"{fake.url}/fal-ai/flux/requests/{handle.request_id}/status"
        seen = [status async for status in handle.iter_events(with_logs=True, interval=0.01)]
        assert isinstance(seen[-1], fal_client.Completed)
        assert seen[-1].logs is not None
        assert [log["message"] for log in seen[-1].logs][-1] == "step 4/4"
        result = await handle.get()
        image = result["images"][0]
        assert image["content_type"] == "image/png"
        assert (await http.get(image["url"])).content.startswith(b"\x89PNG")
        again = await client.result("fal-ai/flux/dev", handle.request_id)
        assert again == result


async def test_cancel_and_errors(
    client: fal_client.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with FakeFal() as fake:
        monkeypatch.setattr(fal_client.client, "QUEUE_URL_FORMAT", f"{fake.url}/")
        fake.pace.manual = True
        handle = await client.submit("fal-ai/flux/dev", arguments={"prompt": "a fox"})
        queued = await client.status("fal-ai/flux/dev", handle.request_id)
        assert isinstance(queued, fal_client.Queued)
        assert queued.position == 0
        await handle.cancel()
        await fake.pace.run_freely()
        with pytest.raises(fal_client.client.FalClientHTTPError) as finished:
            await handle.cancel()
        assert finished.value.status_code == 400
        failing = await client.submit("fal-ai/flux/dev", arguments={"prompt": "[fake:invalid]"})
        with pytest.raises(fal_client.client.FalClientHTTPError) as invalid:
            await failing.get()
        assert invalid.value.status_code == 422
        wrong = fal_client.AsyncClient(key="nope:nope")
        with pytest.raises(fal_client.client.FalClientHTTPError) as refused:
            await wrong.submit("fal-ai/flux/dev", arguments={"prompt": "a"})
        assert refused.value.status_code == 401
