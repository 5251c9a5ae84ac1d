"""Webhook target URLs: http(s) only; where configured, never a private address.

The check resolves the host name and refuses loopback, private, link-local, multicast,
reserved and unspecified addresses, so the API cannot be used to reach internal services.
It runs when an endpoint is saved and again before each delivery (the name may resolve
differently later).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class TargetNotAllowed(ValueError):
    pass


def check_shape(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetNotAllowed("The URL must start with http:// or https://.")
    if not parts.hostname:
        raise TargetNotAllowed("The URL has no host.")
    if parts.username or parts.password:
        raise TargetNotAllowed("The URL must not carry credentials.")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise TargetNotAllowed("The URL's port is not valid.") from exc
    return parts.hostname


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _forbidden(address.ipv4_mapped)
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raise ``TargetNotAllowed`` unless ``url`` may receive webhooks."""
    host = check_shape(url)
    if allow_private:
        return
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise TargetNotAllowed(f"The host {host!r} does not resolve.") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses or any(_forbidden(a) for a in addresses):
        raise TargetNotAllowed(
            "The URL points to a private, loopback or link-local address, which is not allowed."
        )
