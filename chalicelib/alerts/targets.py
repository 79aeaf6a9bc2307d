"""Outbound targets: which URLs we may call, checked at registration and again at every delivery.

Only https to public addresses; the local stack (LOOPDESK_ALLOW_PRIVATE_URLS=1) also allows loopback
and private ranges, over plain http too, but never link-local or cloud metadata addresses.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from chalicelib.errors import InvalidInput

ALWAYS_REFUSED = [ipaddress.ip_network(net) for net in (
    "169.254.0.0/16",        # link-local, incl. 169.254.169.254 (instance metadata)
    "fe80::/10",             # IPv6 link-local
    "fd00:ec2::/32",         # AWS IPv6 metadata (fd00:ec2::254)
    "100.100.100.200/32",    # Alibaba metadata
    "0.0.0.0/8",
    "::/128",
    "224.0.0.0/4", "ff00::/8",  # multicast
    "255.255.255.255/32",
)]
# Not global, but not caught by `is_global` on every Python: refused outside the local stack.
EXTRA_PRIVATE = [ipaddress.ip_network(net) for net in ("100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15",
                                                       "64:ff9b:1::/48", "::/96")]
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# A host made only of numbers (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`): resolvers read these as
# addresses, each in its own way. Only the plain dotted-decimal form is accepted (and then checked).
NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)

Resolver = Callable[[str, int], list[str]]


class UnsafeTarget(InvalidInput):
    CODE = "unsafe_url"


@dataclass(frozen=True)
class Target:
    """A URL that passed the checks, with the addresses it may be reached at (pinned for the call)."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"The host does not resolve: {exc}", code="unresolvable_url") from None
    return sorted({info[4][0] for info in infos})


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to: IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4."""
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour


def _address_refusal(text: str, allow_private: bool) -> str | None:
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        address = _embedded_ipv4(address) or address
    if any(address in net for net in ALWAYS_REFUSED if net.version == address.version):
        return f"{address} is a link-local, metadata or unroutable address"
    if allow_private:
        return None
    if not address.is_global or any(address in net for net in EXTRA_PRIVATE if net.version == address.version):
        return f"{address} is not a public address"
    return None


def check_target(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> Target:
    """The URL, if we may call it; otherwise 400 `unsafe_url` saying why."""
    if not isinstance(url, str) or len(url) > 2048:
        raise UnsafeTarget("The URL must be a string of at most 2048 characters.")
    parts = urlsplit(url.strip())
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeTarget("Only https URLs are accepted.")
    if parts.username or parts.password:
        raise UnsafeTarget("URLs with credentials are not accepted.")
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("The URL's port is not valid.") from None
    if not host:
        raise UnsafeTarget("The URL has no host.")
    if NUMERIC_HOST.match(host) and not _is_dotted_decimal(host):
        raise UnsafeTarget("An IP address in a URL must be written in dotted decimal (e.g. 203.0.113.7).")
    addresses = resolve(host, port)
    if not addresses:
        raise UnsafeTarget("The host does not resolve.", code="unresolvable_url")
    for address in addresses:
        reason = _address_refusal(address, allow_private)
        if reason:
            raise UnsafeTarget(f"The URL's host resolves to a refused address: {reason}.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url=url.strip(), scheme=parts.scheme, host=host, port=port, path=path, addresses=tuple(addresses))


def _is_dotted_decimal(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)  # refuses leading zeros, short and single-number forms
    except ValueError:
        return False
    return True
