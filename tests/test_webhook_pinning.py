"""A webhook delivery connects to the address that was checked, not to a fresh lookup."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpx
import pytest

from practice_api.webhooks.urls import TargetNotAllowed, check_target, pinned
from tests.event_helpers import WebhookReceiver

pytest_plugins = ["tests.event_fixtures"]


def test_pinned_targets_keep_the_name_for_host_and_tls() -> None:
    address = ipaddress.ip_address("93.184.215.14")
    https = pinned("https://hooks.example.com:8443/in?x=1", address)
    assert https.url == "https://93.184.215.14:8443/in?x=1"
    assert https.host_header == "hooks.example.com:8443"
    assert https.sni_hostname == "hooks.example.com"

    plain = pinned("http://hooks.example.com/in", ipaddress.ip_address("2606:2800:21f::1"))
    assert plain.url == "http://[2606:2800:21f::1]/in"
    assert (plain.host_header, plain.sni_hostname) == ("hooks.example.com", None)

    # Nothing checked (private targets allowed), or already an address: sent as given.
    assert pinned("http://hooks.example.com/in", None).url == "http://hooks.example.com/in"
    assert pinned("http://93.184.215.14/in", address).host_header is None


async def test_check_target_answers_the_checked_address() -> None:
    address = await check_target("https://93.184.215.14/in", allow_private=False)
    assert address == ipaddress.ip_address("93.184.215.14")
    assert await check_target("http://127.0.0.1/in", allow_private=True) is None
    with pytest.raises(TargetNotAllowed):
        await check_target("http://127.0.0.1/in", allow_private=False)


async def test_a_pinned_request_reaches_the_address_and_names_the_host(
    webhook_receiver: WebhookReceiver,
) -> None:
    port = urlsplit(webhook_receiver.url).port
    # The name does not resolve at all: only the pinned address can be what was reached.
    target = pinned(f"http://hooks.invalid:{port}/hooks", ipaddress.ip_address("127.0.0.1"))
    async with httpx.AsyncClient(trust_env=False) as http:
        response = await http.post(
            target.url, content=b"{}", headers={"Host": str(target.host_header)}
        )
    assert response.status_code == 200
    [request] = webhook_receiver.requests
    assert request.headers["host"] == f"hooks.invalid:{port}"
