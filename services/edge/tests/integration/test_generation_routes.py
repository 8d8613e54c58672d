"""POST /v1/generations once per Idempotency-Key, the 402 and 422 refusals, reading, listing,
cancelling, and another account's generation answering 404."""

from __future__ import annotations

import uuid

import pytest
from services.edge.tests.edge_platform import Platform

from atelier_testing.polling import eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

IMAGE = {"tool": "text-to-image", "model": "local", "prompt": "a lighthouse at dusk"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}


async def test_a_generation_is_accepted_and_succeeds_with_its_outputs(
    platform: Platform, account: str
) -> None:
    async with platform.client(account) as edge:
        await edge.get("/v1/me")
        accepted = await edge.post("/v1/generations", json=IMAGE, headers=key())
        gid = accepted.json()["id"]

        async def succeeded() -> bool:
            return bool((await edge.get(f"/v1/generations/{gid}")).json()["status"] == "succeeded")

        await eventually(succeeded, 30, what="the generation succeeded")
        done = (await edge.get(f"/v1/generations/{gid}")).json()
        me = (await edge.get("/v1/me")).json()

    assert accepted.status_code == 202
    assert accepted.json()["cost"] == 2
    assert done["credits"] == "confirmed"
    assert done["progress"] == 100
    (output,) = done["outputs"]
    assert output["content_type"] == "image/png"
    assert output["media_id"]
    assert me["credits"] == {"available": 8, "frozen": 0}


async def test_a_repeat_with_the_same_key_and_body_gets_the_same_answer(
    platform: Platform, account: str
) -> None:
    headers = key()
    async with platform.client(account) as edge:
        await edge.get("/v1/me")
        first = await edge.post("/v1/generations", json=IMAGE, headers=headers)
        again = await edge.post(
            "/v1/generations", json=dict(reversed(IMAGE.items())), headers=headers
        )
        listed = (await edge.get("/v1/generations")).json()["generations"]

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert [g["id"] for g in listed] == [first.json()["id"]]


async def test_the_same_key_with_another_body_is_a_422(platform: Platform, account: str) -> None:
    headers = key()
    async with platform.client(account) as edge:
        await edge.get("/v1/me")
        await edge.post("/v1/generations", json=IMAGE, headers=headers)
        other = await edge.post(
            "/v1/generations", json={**IMAGE, "prompt": "a different one"}, headers=headers
        )

    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"].endswith("/idempotency-key-reused")


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({}, "idempotency-key-required"),
        ({"Idempotency-Key": "has spaces"}, "invalid-idempotency-key"),
    ],
)
async def test_a_missing_or_malformed_key_is_a_400(
    platform: Platform, account: str, headers: dict[str, str], kind: str
) -> None:
    async with platform.client(account) as edge:
        answer = await edge.post("/v1/generations", json=IMAGE, headers=headers)

    assert answer.status_code == 400
    assert answer.json()["type"].endswith(f"/{kind}")
    assert answer.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_more_than_the_account_has_is_a_402_with_the_numbers(
    platform: Platform, account: str
) -> None:
    costly = {**IMAGE, "params": {"num_outputs": 4, "resolution": "2K"}}
    headers = key()
    async with platform.client(account) as edge:
        await edge.get("/v1/me")
        refused = await edge.post("/v1/generations", json=costly, headers=headers)
        again = await edge.post("/v1/generations", json=costly, headers=headers)
        me = (await edge.get("/v1/me")).json()

    assert refused.status_code == 402
    problem = refused.json()
    assert problem["type"].endswith("/insufficient-credits")
    assert (problem["available"], problem["required"]) == (10, 16)
    assert again.status_code == 402
    assert me["credits"] == {"available": 10, "frozen": 0}


async def test_params_that_break_the_schema_are_a_422_naming_each_field(
    platform: Platform, account: str
) -> None:
    bad = {**IMAGE, "params": {"num_outputs": 9, "aspect_ratio": "2:7"}}
    async with platform.client(account) as edge:
        answer = await edge.post("/v1/generations", json=bad, headers=key())

    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"params.num_outputs", "params.aspect_ratio"} <= fields


async def test_an_unknown_tool_is_a_typed_refusal(platform: Platform, account: str) -> None:
    async with platform.client(account) as edge:
        answer = await edge.post(
            "/v1/generations", json={**IMAGE, "tool": "no-such-tool"}, headers=key()
        )

    assert answer.status_code in (404, 422)
    assert answer.headers["content-type"] == "application/problem+json"


async def test_cancel_rolls_the_credits_back_and_is_idempotent(
    platform: Platform, account: str
) -> None:
    video = {"tool": "text-to-video", "model": "local", "prompt": "waves"}
    async with platform.client(account) as edge:
        await edge.get("/v1/me")
        gid = (await edge.post("/v1/generations", json=video, headers=key())).json()["id"]
        first = await edge.post(f"/v1/generations/{gid}/cancel")
        again = await edge.post(f"/v1/generations/{gid}/cancel")

    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == gid
    assert first.json()["cancel_requested"] or first.json()["status"] in ("canceled", "succeeded")


async def test_another_accounts_generation_is_not_found(platform: Platform, account: str) -> None:
    async with platform.client(account) as owner:
        await owner.get("/v1/me")
        gid = (await owner.post("/v1/generations", json=IMAGE, headers=key())).json()["id"]
    async with platform.client(f"{account}-other") as stranger:
        read = await stranger.get(f"/v1/generations/{gid}")
        cancel = await stranger.post(f"/v1/generations/{gid}/cancel")

    for answer in (read, cancel):
        assert answer.status_code == 404
        assert answer.json()["type"].endswith("/not-found")
        assert account not in answer.text


async def test_generations_are_listed_newest_first_by_cursor(
    platform: Platform, account: str
) -> None:
    await platform.grant(account, 100)
    async with platform.client(account) as edge:
        ids = [
            (await edge.post("/v1/generations", json=IMAGE, headers=key())).json()["id"]
            for _ in range(3)
        ]
        first = (await edge.get("/v1/generations", params={"limit": 2})).json()
        rest = (
            await edge.get("/v1/generations", params={"limit": 2, "cursor": first["next_cursor"]})
        ).json()

    listed = [g["id"] for g in first["generations"] + rest["generations"]]
    assert listed == list(reversed(ids))
    assert rest["next_cursor"] is None


async def test_the_catalogue_lists_tools_with_models_cost_and_schema(
    platform: Platform, account: str
) -> None:
    async with platform.client(account) as edge:
        tools = (await edge.get("/v1/tools")).json()["tools"]

    image = next(t for t in tools if t["id"] == "text-to-image")
    local = next(m for m in image["models"] if m["id"] == "local")
    assert local["cost"] == 2
    assert local["cost_rule"]
    assert "prompt" in local["input_schema"]["properties"]
