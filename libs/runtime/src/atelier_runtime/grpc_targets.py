"""`ATELIER_<SERVICE>_ADDR` values: one address or a list of replicas, as a target gRPC resolves.

Accepted forms: `host:port`; `host:port,host:port,...` (one per replica); `dns:///host:port`, a
name whose DNS records list the replicas (a Kubernetes headless Service).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

EXPECTED_FORM = "host:port (port 1-65535), a comma-separated list of host:port, or dns:///host:port"

_HOST_NAME = re.compile(r"^(?!-)[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$")
_HOST_PORT = re.compile(r"^(?:\[(?P<ipv6>[^\]]+)\]|(?P<host>[^:\[\]]+)):(?P<port>\d{1,5})$")
_DNS_TARGET = re.compile(r"^dns:(?://[^/]*/)?(?P<name>[^/]+)$")

Resolve = Callable[[str], list[str]]


class InvalidAddresses(ValueError):
    """A value in none of the accepted forms; the message says what is wrong and what is expected."""


@dataclass(frozen=True)
class HostPort:
    """One replica's address; `host` is a name or an IP literal, without brackets."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_addresses(value: str) -> tuple[HostPort, ...]:
    """The addresses a value names, in order: each of a list, or the one name behind `dns:`."""
    text = value.strip()
    dns = _DNS_TARGET.match(text)
    if dns:
        return (_host_port(dns.group("name")),)
    if text.startswith("dns:"):
        raise InvalidAddresses(f"a DNS target is dns:///host:port; expected {EXPECTED_FORM}")
    return tuple(_host_port(element.strip()) for element in text.split(","))


def grpc_target(value: str, resolve: Resolve | None = None) -> str:
    """The channel target for a value; a list becomes one `ipv4:`/`ipv6:` target of every replica.

    gRPC's own `dns` resolver takes a single name, so a list of host names is resolved here, once;
    names that change while a client runs belong behind one `dns:///` name instead.
    """
    addresses = parse_addresses(value)
    if len(addresses) == 1:
        # One name goes to gRPC's resolver unchanged: every record behind it becomes a replica.
        return value.strip()
    replicas = [
        [HostPort(ip, address.port) for ip in _ips_of(address.host, resolve or _system_resolve)]
        for address in addresses
    ]
    return _ip_list_target(replicas)


def _host_port(text: str) -> HostPort:
    if not text:
        raise InvalidAddresses(f"an address is empty (a stray comma?); expected {EXPECTED_FORM}")
    match = _HOST_PORT.match(text)
    if match is None:
        raise InvalidAddresses(f"{text!r} is not host:port; expected {EXPECTED_FORM}")
    port = int(match.group("port"))
    if not 1 <= port <= 65535:
        raise InvalidAddresses(f"port {port} is outside 1-65535; expected {EXPECTED_FORM}")
    ipv6 = match.group("ipv6")
    if ipv6 is not None:
        if not _is_ip(ipv6, version=6):
            raise InvalidAddresses(f"[{ipv6}] is not an IPv6 address; expected {EXPECTED_FORM}")
        return HostPort(ipv6, port)
    host = match.group("host")
    if not (_is_ip(host, version=4) or _HOST_NAME.match(host)):
        raise InvalidAddresses(f"{host!r} is not a host name or IP; expected {EXPECTED_FORM}")
    return HostPort(host, port)


def _is_ip(text: str, *, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def _ips_of(host: str, resolve: Resolve) -> list[str]:
    if _is_ip(host, version=4) or _is_ip(host, version=6):
        return [host]
    try:
        ips = resolve(host)
    except OSError as error:
        raise InvalidAddresses(f"cannot resolve {host!r}: {error}") from None
    if not ips:
        raise InvalidAddresses(f"{host!r} resolves to no address")
    return ips


def _ip_list_target(replicas: list[list[HostPort]]) -> str:
    # One target holds one address family, so a list is IPv4 when every replica has an IPv4
    # address (`localhost` has both), and IPv6 only when every replica has an IPv6 one.
    for scheme, version in (("ipv4", 4), ("ipv6", 6)):
        chosen = [[ip for ip in ips if _is_ip(ip.host, version=version)] for ips in replicas]
        if all(chosen):
            unique = dict.fromkeys(ip for ips in chosen for ip in ips)
            return f"{scheme}:" + ",".join(str(ip) for ip in unique)
    raise InvalidAddresses("the list mixes IPv4-only and IPv6-only replicas; use one family")


def _system_resolve(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _checked(value: str) -> str:
    parse_addresses(value)
    return value.strip()


# A settings field holding an `_ADDR` value: a malformed one stops the service at start, named.
GrpcAddresses = Annotated[str, AfterValidator(_checked)]
