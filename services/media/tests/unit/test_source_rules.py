"""The URL and address rules of the server-side download, before any network I/O."""

from __future__ import annotations

import ipaddress

import pytest

from atelier_media.domain.source_rules import (
    SourcePolicy,
    SourceRefused,
    address_refusal,
    check_addresses,
    check_url,
)

POLICY = SourcePolicy(frozenset({"replicate.delivery", ".fal.media"}))
DEV = SourcePolicy(frozenset({"127.0.0.1:8123"}), require_https=False, allow_loopback=True)


def refusal_of(url: str, policy: SourcePolicy = POLICY) -> str:
    with pytest.raises(SourceRefused) as caught:
        check_url(url, policy)
    return caught.value.reason


def test_an_allowlisted_https_url_is_split_into_the_parts_of_the_request() -> None:
    source = check_url("https://Replicate.Delivery/x/out.png?sig=1", POLICY)
    assert (source.scheme, source.host, source.port) == ("https", "replicate.delivery", 443)
    assert source.target == "/x/out.png?sig=1"
    assert check_url("https://v3.fal.media/files/a.mp4", POLICY).host == "v3.fal.media"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://replicate.delivery/a.png", "SCHEME_REFUSED"),
        ("file:///etc/passwd", "SCHEME_REFUSED"),
        ("https://user:pw@replicate.delivery/a.png", "USERINFO_REFUSED"),
        ("https://replicate.delivery@evil.example/a.png", "USERINFO_REFUSED"),
        ("https://127.0.0.1/a.png", "IP_LITERAL_REFUSED"),
        ("https://[::ffff:127.0.0.1]/a.png", "IP_LITERAL_REFUSED"),
        ("https://169.254.169.254/latest/meta-data", "IP_LITERAL_REFUSED"),
        ("https://evil.example/a.png", "HOST_NOT_ALLOWED"),
        ("https://fal.media.evil.example/a.png", "HOST_NOT_ALLOWED"),
        ("https://replicate.delivery:8443/a.png", "PORT_REFUSED"),
        ("https://replicate.delivery/a b.png", "MALFORMED_URL"),
        ("https://replicate.delivery:99999/a.png", "MALFORMED_URL"),
    ],
)
def test_urls_outside_the_rules_are_refused_with_their_reason(url: str, reason: str) -> None:
    assert refusal_of(url) == reason


def test_loopback_sources_need_the_development_setting_and_an_exact_host_and_port() -> None:
    assert check_url("http://127.0.0.1:8123/out.png", DEV).port == 8123
    assert refusal_of("http://127.0.0.1:8124/out.png", DEV) == "IP_LITERAL_REFUSED"
    strict = SourcePolicy(frozenset({"127.0.0.1:8123"}))
    assert refusal_of("https://127.0.0.1:8123/out.png", strict) == "IP_LITERAL_REFUSED"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1",
        "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "ff02::1", "2001:db8::1",
    ],
)  # fmt: skip
def test_special_purpose_addresses_are_refused(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), POLICY) is not None


def test_the_metadata_address_is_named_as_such() -> None:
    assert "metadata" in str(address_refusal(ipaddress.ip_address("169.254.169.254"), POLICY))


@pytest.mark.parametrize("address", ["8.8.8.8", "151.101.1.1", "2606:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), POLICY) is None


def test_one_private_answer_among_public_ones_refuses_the_name() -> None:
    answers = [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("10.0.0.5")]
    with pytest.raises(SourceRefused) as caught:
        check_addresses(answers, POLICY)
    assert caught.value.reason == "ADDRESS_REFUSED"


def test_loopback_addresses_pass_only_in_development() -> None:
    assert address_refusal(ipaddress.ip_address("127.0.0.1"), DEV) is None
    assert address_refusal(ipaddress.ip_address("10.0.0.1"), DEV) is not None
