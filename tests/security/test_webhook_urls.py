"""Webhook URLs may not lead inside (R-LIVE-6): whoever registers a webhook must not make
the server POST to the cloud metadata service, to loopback or to the private network.

With `RELATE_WEBHOOK_ALLOW_PRIVATE=false` (the default; the other tests turn it on for
their 127.0.0.1 receivers) the host is resolved at registration and before every delivery,
and every address it leads to must be public. Names under `.test` resolve through a fake
resolver the test controls, so DNS can "change" between registration and delivery.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph import webhook_destinations as destinations
from graph.rules import webhooks as rules
from graph.rules.errors import DomainError
from server.settings import Settings
from tests.ops.conftest import Serve, receiver, served, until  # noqa: F401 - fixtures
from tests.ops.receiver import Receiver
from tests.ops.test_webhooks import DELIVERIES, WEBHOOKS, some_changes
from tests.support.client import Api
from tests.support.databases import test_settings as app_settings

PUBLIC = "93.184.216.34"

Dns = dict[str, list[str]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return app_settings(file_store_dir=str(tmp_path / "files"), webhook_allow_private=False)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Dns:
    """Names ending in `.test` resolve to what the test puts here; others as usual."""
    names: Dns = {}
    real: Callable[..., Any] = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not name.endswith(".test"):
            return real(host, port, *args, **kwargs)
        if name not in names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, int(port or 0), 0, 0) if ":" in a else (a, int(port or 0))) for a in names[name]]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return names


REFUSED = [
    ("https://169.254.169.254/latest/meta-data/", "link-local"),   # the cloud metadata service
    ("https://[::ffff:169.254.169.254]/latest/", "link-local"),     # the same, IPv4-mapped IPv6
    ("https://[fe80::1]/hook", "link-local"),
    ("https://127.0.0.1/hook", "loopback"),
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("https://localhost/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ("https://2130706433/hook", "loopback"),                        # 127.0.0.1 written as a number
    ("https://10.1.2.3/hook", "private"),
    ("https://172.16.5.4/hook", "private"),
    ("https://192.168.0.10/hook", "private"),
    ("https://[fc00::1]/hook", "private"),                          # IPv6 unique local
    ("https://[2002:a01:203::1]/hook", "private"),                  # 6to4 of 10.1.2.3
    ("https://100.64.0.1/hook", "non-public"),                      # carrier-grade NAT
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://[::]/hook", "unspecified"),
    ("https://224.0.0.251/hook", "multicast"),
    ("https://[ff02::1]/hook", "multicast"),
    ("https://intranet.test/hook", "private"),                      # a name whose DNS points inside
    ("https://mixed.test/hook", "private"),                         # one public address is not enough
]


@pytest.mark.parametrize(("url", "kind"), REFUSED, ids=[u for u, _ in REFUSED])
async def test_a_url_leading_inside_is_a_validation_error_and_creates_nothing(
    api: Api, dns: Dns, url: str, kind: str,
) -> None:
    dns.update({"intranet.test": ["10.0.0.7"], "mixed.test": [PUBLIC, "10.0.0.8"]})
    payload = await api.mutate("createWebhook", {"url": url}, "webhook { id } secret")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", ["input", "url"])]
    assert f"{kind} address" in payload["errors"][0]["message"]
    assert payload["webhook"] is None and payload["secret"] is None
    assert (await api(WEBHOOKS))["webhooks"] == []


@pytest.mark.parametrize("url", ["https://public.test/hook", "https://[2606:4700:4700::1111]/hook",
                                 "https://hooks.example/relate"])  # the last one does not resolve (yet)
async def test_a_public_url_is_accepted(api: Api, dns: Dns, url: str) -> None:
    dns["public.test"] = [PUBLIC]
    created = await api.ok("createWebhook", {"url": url}, "webhook { url }")
    assert created["webhook"]["url"] == url


async def test_a_forbidden_user_learns_nothing_about_where_a_url_leads(api: Api) -> None:
    payload = await api.mutate("createWebhook", {"url": "https://10.1.2.3/hook"}, "secret", as_="sales1")
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


async def test_the_setting_allows_private_addresses(served: Serve, receiver: Receiver) -> None:
    async with served(webhook_allow_private=True) as server:
        created = await server.api.ok("createWebhook", {"url": receiver.url}, "webhook { url }")
        assert created["webhook"]["url"] == receiver.url


async def test_a_host_whose_dns_turns_private_after_registration_gets_nothing(
    served: Serve, receiver: Receiver, dns: Dns,
) -> None:
    """Checked again before every attempt: the attempt is not sent, and is logged as failed."""
    dns["rebind.test"] = [PUBLIC]
    async with served(webhook_allow_private=False, webhook_allow_http=True) as server:
        url = f"http://rebind.test:{receiver.port}/hook"
        hook = (await server.api.ok("createWebhook", {"url": url}, "webhook { id }"))["webhook"]
        dns["rebind.test"] = ["127.0.0.1"]  # where the receiver really listens
        await some_changes(server.api, "rebind")

        async def refused_twice() -> bool:
            log = (await server.api(DELIVERIES, {"id": hook["id"]}))["webhookDeliveries"]["nodes"]
            return len(log) >= 2

        await until(refused_twice)
        log = (await server.api(DELIVERIES, {"id": hook["id"]}))["webhookDeliveries"]["nodes"]
    assert receiver.requests == [] and receiver.rejected == 0  # nothing ever reached it
    assert all(d["deliveredOn"] is None and d["statusCode"] is None for d in log)
    assert all(d["error"].startswith("not sent: ") and "loopback address 127.0.0.1" in d["error"] for d in log)


async def test_a_delivery_connects_to_the_address_it_checked(dns: Dns) -> None:
    """No second look-up at connection time that DNS could answer differently: the URL
    names the checked address, the Host header and TLS (SNI, certificate) keep the name."""
    dns.update({"public.test": [PUBLIC], "six.test": ["2606:4700:4700::1111"]})
    found = await destinations.destination("https://public.test:8443/in?x=1", allow_private=False)
    assert (found.url, found.headers, found.extensions) == (
        f"https://{PUBLIC}:8443/in?x=1", {"Host": "public.test:8443"}, {"sni_hostname": "public.test"})
    six = await destinations.destination("http://six.test/in", allow_private=False)
    assert (six.url, six.headers, six.extensions) == ("http://[2606:4700:4700::1111]/in", {"Host": "six.test"}, {})
    dns["public.test"] = ["10.9.9.9"]
    with pytest.raises(DomainError, match="private address 10.9.9.9"):
        await destinations.destination("https://public.test/in", allow_private=False)
    allowed = await destinations.destination("https://public.test/in", allow_private=True)
    assert allowed.url == "https://public.test/in"  # allowed: no look-up, no pinning


@pytest.mark.parametrize(("address", "problem"), [
    ("8.8.8.8", None), ("2606:4700:4700::1111", None), ("::ffff:8.8.8.8", None),
    ("169.254.169.254", "link-local address 169.254.169.254"), ("::ffff:10.0.0.1", "private address 10.0.0.1"),
    ("192.0.2.1", "private address 192.0.2.1"), ("fe80::1%eth0", "link-local address fe80::1"),
    ("not-an-ip", "is not an IP address"),
])
def test_address_rules(address: str, problem: str | None) -> None:
    assert rules.address_problem(address) == problem
