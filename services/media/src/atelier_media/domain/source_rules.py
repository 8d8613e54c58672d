"""Where the server may download a provider file from: URL and address rules, without I/O.

The rules (listed in the README's Media part): an allowlist of provider hosts, https on port 443
only, no userinfo, no IP literals, and every resolved address outside the special-purpose ranges
(IPv4-mapped addresses are unwrapped and checked as IPv4; NAT64 and 6to4 are refused).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_DENIED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
    )
)
_DENIED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_LOOPBACK = (ipaddress.IPv4Network("127.0.0.0/8"), ipaddress.IPv6Network("::1/128"))


class SourceRefused(Exception):
    """A provider URL or address we will not fetch; `reason` is stable, the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@dataclass(frozen=True)
class SourcePolicy:
    """Configured provider hosts (`host`, `.suffix`, or `host:port` in development)."""

    allowed_hosts: frozenset[str]
    require_https: bool = True
    # Development only: the local generation provider serves its outputs from 127.0.0.1.
    allow_loopback: bool = False


@dataclass(frozen=True)
class SourceUrl:
    """A URL that passed the parse checks, split into the parts the request is built from."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent on the request line

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _host_allowed(host: str, port: int, policy: SourcePolicy) -> bool:
    for entry in policy.allowed_hosts:
        if entry == f"{host}:{port}":
            return True
        if ":" in entry:
            continue
        if entry.startswith(".") and host.endswith(entry) and len(host) > len(entry):
            return True
        if entry == host:
            return True
    return False


def check_url(url: str, policy: SourcePolicy) -> SourceUrl:
    """Parses once and checks scheme, userinfo, host and port; raises SourceRefused."""
    if len(url) > 4096 or any(ord(c) < 0x21 or c == "\x7f" for c in url):
        raise SourceRefused("MALFORMED_URL", "too long or has spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise SourceRefused("MALFORMED_URL", str(error)) from None
    scheme = parts.scheme.lower()
    allowed_schemes = ("https",) if policy.require_https else ("https", "http")
    if scheme not in allowed_schemes:
        raise SourceRefused(
            "SCHEME_REFUSED", f"scheme {scheme!r} is not {' or '.join(allowed_schemes)}"
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise SourceRefused("USERINFO_REFUSED", "URLs with user:password@ are refused")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise SourceRefused("MALFORMED_URL", "no host")
    effective_port = port if port is not None else (443 if scheme == "https" else 80)
    # An entry naming host and port (development) is the only way past the 443 and IP rules.
    explicit = f"{host}:{effective_port}" in policy.allowed_hosts
    if _is_ip_literal(host) and not (explicit and policy.allow_loopback):
        raise SourceRefused("IP_LITERAL_REFUSED", f"host {host!r} is an IP literal")
    if not _host_allowed(host, effective_port, policy):
        raise SourceRefused("HOST_NOT_ALLOWED", f"host {host!r} is not an allowed provider host")
    if effective_port != 443 and not explicit:
        raise SourceRefused("PORT_REFUSED", f"port {effective_port} is not 443")
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return SourceUrl(scheme=scheme, host=host, port=effective_port, target=target)


def unwrap(address: IpAddress) -> IpAddress:
    """The IPv4 address inside an IPv4-mapped IPv6 one, checked as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_refusal(address: IpAddress, policy: SourcePolicy) -> str | None:
    """Why the server must not connect to `address`, or None when it may."""
    plain = unwrap(address)
    if policy.allow_loopback and any(
        plain in net for net in _LOOPBACK if net.version == plain.version
    ):
        return None
    if isinstance(plain, ipaddress.IPv4Address):
        denied = any(plain in net for net in _DENIED_V4)
    else:
        denied = any(plain in net for net in _DENIED_V6) or plain.is_multicast
    if denied or plain.is_private or plain.is_loopback or plain.is_link_local:
        what = "a cloud metadata address" if str(plain) == "169.254.169.254" else "not public"
        return f"{address} is {what}"
    return None


def check_addresses(addresses: list[IpAddress], policy: SourcePolicy) -> IpAddress:
    """The address to connect to; refuses when there is none or ANY answer is disallowed."""
    if not addresses:
        raise SourceRefused("NAME_NOT_RESOLVED", "the host resolved to no address")
    for address in addresses:
        refusal = address_refusal(address, policy)
        if refusal is not None:
            raise SourceRefused("ADDRESS_REFUSED", refusal)
    return addresses[0]
