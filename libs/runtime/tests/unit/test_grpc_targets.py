"""ATELIER_<SERVICE>_ADDR values: one address, a list of replicas, or one DNS name."""

from __future__ import annotations

import pytest

from atelier_runtime.grpc_client import balanced_channel
from atelier_runtime.grpc_targets import InvalidAddresses, Resolve, grpc_target, parse_addresses


def resolver(table: dict[str, list[str]]) -> Resolve:
    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError(f"Name or service not known: {host}")
        return table[host]

    return resolve


def test_a_single_address_is_passed_to_grpc_as_it_is() -> None:
    assert grpc_target("127.0.0.1:5001") == "127.0.0.1:5001"
    assert grpc_target(" credits:50051 ") == "credits:50051"
    assert grpc_target("[::1]:5001") == "[::1]:5001"


def test_a_list_of_ipv4_addresses_becomes_one_ipv4_target() -> None:
    target = grpc_target("127.0.0.1:5001, 127.0.0.1:5002,10.0.0.7:50051")

    assert target == "ipv4:127.0.0.1:5001,127.0.0.1:5002,10.0.0.7:50051"


def test_a_list_of_ipv6_addresses_becomes_one_ipv6_target() -> None:
    assert grpc_target("[::1]:5001,[fd00::7]:5002") == "ipv6:[::1]:5001,[fd00::7]:5002"


def test_host_names_in_a_list_are_resolved_preferring_ipv4_when_every_replica_has_it() -> None:
    resolve = resolver({"a": ["::1", "127.0.0.1"], "b": ["10.0.0.2", "10.0.0.3"]})

    target = grpc_target("a:5001,b:5002", resolve)

    assert target == "ipv4:127.0.0.1:5001,10.0.0.2:5002,10.0.0.3:5002"


def test_a_list_falls_back_to_ipv6_when_a_replica_has_no_ipv4_address() -> None:
    resolve = resolver({"a": ["::1", "127.0.0.1"], "b": ["fd00::2"]})

    assert grpc_target("a:1,b:2", resolve) == "ipv6:[::1]:1,[fd00::2]:2"


def test_a_list_that_mixes_ipv4_only_and_ipv6_only_replicas_is_refused() -> None:
    with pytest.raises(InvalidAddresses, match="mixes IPv4-only and IPv6-only"):
        grpc_target("127.0.0.1:1,[::1]:2")


def test_a_name_that_does_not_resolve_is_refused_by_name() -> None:
    with pytest.raises(InvalidAddresses, match="cannot resolve 'nowhere'"):
        grpc_target("127.0.0.1:1,nowhere:2", resolver({}))


def test_localhost_lists_resolve_on_this_machine() -> None:
    assert grpc_target("localhost:5001,localhost:5002") == "ipv4:127.0.0.1:5001,127.0.0.1:5002"


@pytest.mark.parametrize(
    "target",
    [
        "dns:///credits.atelier.svc.cluster.local:50051",
        "dns:///credits:50051",
        "dns://10.0.0.10:53/credits.atelier.svc.cluster.local:50051",
    ],
)
def test_a_dns_target_is_kept_so_grpc_resolves_and_re_resolves_it(target: str) -> None:
    assert grpc_target(target) == target


def test_the_addresses_of_a_value_are_listed_in_order() -> None:
    listed = parse_addresses("127.0.0.1:2,localhost:1,[::1]:3")

    assert [str(address) for address in listed] == ["127.0.0.1:2", "localhost:1", "[::1]:3"]
    assert [str(a) for a in parse_addresses("dns:///credits:50051")] == ["credits:50051"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "an address is empty"),
        ("127.0.0.1:5001,", "an address is empty"),
        ("credits", "'credits' is not host:port"),
        ("credits:0", "port 0 is outside 1-65535"),
        ("credits:65536", "port 65536 is outside 1-65535"),
        ("credits:http", "'credits:http' is not host:port"),
        ("::1:5001", "'::1:5001' is not host:port"),
        ("[nope]:5001", "[nope] is not an IPv6 address"),
        ("two words:5001", "'two words' is not a host name or IP"),
        ("dns://credits:50051", "a DNS target is dns:///host:port"),
        ("dns:///credits", "'credits' is not host:port"),
    ],
)
def test_a_malformed_value_says_what_is_wrong_and_the_expected_form(
    value: str, problem: str
) -> None:
    with pytest.raises(InvalidAddresses) as raised:
        parse_addresses(value)

    message = str(raised.value)
    assert problem in message
    assert "expected host:port (port 1-65535), a comma-separated list of host:port" in message
    assert "\n" not in message


def test_a_balanced_channel_names_the_variable_a_bad_value_came_from() -> None:
    with pytest.raises(InvalidAddresses) as raised:
        balanced_channel("credits:0,credits:1", variable="ATELIER_CREDITS_ADDR")

    assert str(raised.value).startswith("ATELIER_CREDITS_ADDR: port 0 is outside 1-65535")
    assert str(raised.value).endswith("got 'credits:0,credits:1'")
