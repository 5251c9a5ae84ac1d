"""The caller's address, for rate limits: the TCP peer, or X-Forwarded-For from a proxy we trust.

``X-Forwarded-For`` is believed only when the peer is one of ``PRACTICE_TRUSTED_PROXIES``
(none by default: anyone can write that header). The list is read from the right, where
each trusted proxy appended the address it saw; the first address that is not itself a
trusted proxy is the client. Behind a proxy that is not listed, every client shares the
proxy's address (and its rate-limit buckets), so list it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(connection: HTTPConnection, trusted_proxies: Sequence[str]) -> str:
    peer = connection.client.host if connection.client else "unknown"
    networks = parse_networks(tuple(trusted_proxies))
    if not networks or not _trusted(peer, networks):
        return peer
    forwarded = ",".join(connection.headers.getlist("x-forwarded-for"))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a garbled header: fall back to the proxy itself
    return peer
