"""Webhook target URLs: http(s) only; where configured, never a private address.

The check resolves the host name and refuses loopback, private, link-local, multicast,
reserved and unspecified addresses, so the API cannot be used to reach internal services.
It runs when an endpoint is saved and again before each delivery, and a delivery connects
to the very address that was checked (``pinned``), so a name that resolves differently a
moment later (DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit


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


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class PinnedTarget:
    """How to send to a checked URL: connect to ``url`` (the checked address), say ``host``."""

    url: str
    host_header: str | None = None
    sni_hostname: str | None = None


def pinned(url: str, address: Address | None) -> PinnedTarget:
    """The request target that connects to ``address`` while naming the URL's host (Host
    header, and TLS server name so the certificate is checked against the name)."""
    parts = urlsplit(url)
    host = parts.hostname
    if address is None or host is None or host.strip("[]") == str(address):
        return PinnedTarget(url)
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = f"{host}:{parts.port}" if parts.port else host
    return PinnedTarget(
        urlunsplit(parts._replace(netloc=netloc)),
        host_header,
        host if parts.scheme == "https" else None,
    )


async def check_target(url: str, *, allow_private: bool) -> Address | None:
    """Raise ``TargetNotAllowed`` unless ``url`` may receive webhooks; answer the checked
    address to connect to (``None`` when private targets are allowed and nothing is checked).
    """
    host = check_shape(url)
    if allow_private:
        return None
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
    return addresses[0]
