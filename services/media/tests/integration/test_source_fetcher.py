"""The fetcher against a real HTTP server: it connects to the vetted address, never elsewhere."""

from __future__ import annotations

import ipaddress

import pytest
from services.media.tests.media_service import PNG, FileSource

from atelier_media.adapters.source_fetcher import SourceFetcher
from atelier_media.domain.source_rules import IpAddress, SourcePolicy, SourceRefused


def resolving_to(*answers: str):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[IpAddress]:
        return [ipaddress.ip_address(a) for a in answers]

    return resolve


async def fetch(fetcher: SourceFetcher, url: str, max_bytes: int = 10_000) -> bytes:
    async with fetcher.open(url, "image/png", max_bytes) as stream:
        return b"".join([chunk async for chunk in stream.chunks()])


def dev_policy(source: FileSource, *, loopback: bool = True) -> SourcePolicy:
    hosts = frozenset({f"media.test:{source.port}", f"127.0.0.1:{source.port}"})
    return SourcePolicy(hosts, require_https=False, allow_loopback=loopback)


async def refusal(fetcher: SourceFetcher, url: str, max_bytes: int = 10_000) -> str:
    try:
        with pytest.raises(SourceRefused) as caught:
            await fetch(fetcher, url, max_bytes)
    finally:
        await fetcher.close()
    return caught.value.reason


async def test_the_request_goes_to_the_resolved_address_with_the_name_as_host(
    source: FileSource,
) -> None:
    # media.test exists in no DNS: the body arrives only because the vetted IP was dialled.
    source.add("/a.png", PNG)
    fetcher = SourceFetcher(dev_policy(source), resolver=resolving_to("127.0.0.1"))
    try:
        assert await fetch(fetcher, f"http://media.test:{source.port}/a.png") == PNG
    finally:
        await fetcher.close()


@pytest.mark.parametrize(
    "answers",
    [("10.0.0.7",), ("8.8.8.8", "192.168.1.1"), ("::ffff:127.0.0.1",), ("169.254.169.254",)],
)
async def test_a_name_resolving_to_a_disallowed_address_is_refused(
    source: FileSource, answers: tuple[str, ...]
) -> None:
    source.add("/a.png", PNG)
    policy = dev_policy(source, loopback=False)
    fetcher = SourceFetcher(policy, resolver=resolving_to(*answers))
    assert await refusal(fetcher, f"http://media.test:{source.port}/a.png") == "ADDRESS_REFUSED"
    assert source.gets.get("/a.png", 0) == 0


async def test_a_redirect_to_loopback_is_not_followed(source: FileSource) -> None:
    source.redirects["/r.png"] = f"http://127.0.0.1:{source.port}/secret.png"
    source.add("/secret.png", PNG)
    fetcher = SourceFetcher(dev_policy(source))
    assert await refusal(fetcher, source.url("/r.png")) == "REDIRECT_REFUSED"
    assert source.gets.get("/secret.png", 0) == 0


async def test_an_oversize_or_mistyped_body_is_refused(source: FileSource) -> None:
    source.add("/big.png", PNG)
    source.add("/html.png", b"<html>" + b"x" * 100, "image/png")
    source.add("/typed.png", PNG, "text/html")
    assert (
        await refusal(SourceFetcher(dev_policy(source)), source.url("/big.png"), 100) == "TOO_LARGE"
    )
    assert (
        await refusal(SourceFetcher(dev_policy(source)), source.url("/html.png")) == "WRONG_CONTENT"
    )
    assert (
        await refusal(SourceFetcher(dev_policy(source)), source.url("/typed.png")) == "WRONG_TYPE"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://replicate.delivery/a.png", "SCHEME_REFUSED"),
        ("https://u:p@replicate.delivery/a.png", "USERINFO_REFUSED"),
        ("https://127.0.0.1/a.png", "IP_LITERAL_REFUSED"),
        ("https://[::ffff:7f00:1]/a.png", "IP_LITERAL_REFUSED"),
    ],
)
async def test_production_rules_refuse_before_any_connection(url: str, reason: str) -> None:
    policy = SourcePolicy(frozenset({"replicate.delivery"}))
    assert await refusal(SourceFetcher(policy, resolver=resolving_to("127.0.0.1")), url) == reason


async def test_the_name_is_resolved_once_so_a_rebinding_answer_is_never_used(
    source: FileSource,
) -> None:
    source.add("/a.png", PNG)
    answers = iter(["127.0.0.1", "10.0.0.1"])  # a rebinding resolver: public-ish, then private
    lookups: list[str] = []

    async def rebinding(host: str, port: int) -> list[IpAddress]:
        lookups.append(host)
        return [ipaddress.ip_address(next(answers))]

    fetcher = SourceFetcher(dev_policy(source), resolver=rebinding)
    try:
        assert await fetch(fetcher, f"http://media.test:{source.port}/a.png") == PNG
    finally:
        await fetcher.close()
    assert lookups == ["media.test"]
