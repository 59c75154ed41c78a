"""Where a webhook URL really leads: its host resolved, every address checked.

A URL naming a private host (`http://10.0.0.7/`, the cloud metadata service at
`169.254.169.254`, a name whose DNS points inside) would let whoever registers webhooks
make the server reach machines the outside cannot. So the host is resolved at
registration, and again before every delivery: DNS can change after the check. The
delivery then connects to the very address that was checked (`Destination`), never to a
second look-up an attacker could answer differently.

`RELATE_WEBHOOK_ALLOW_PRIVATE` turns all of it off (receivers on the operator's own
network or machine). Resolution goes through the event loop (the system resolver), so
tests can point names where they like.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from graph.rules import webhooks as rules
from graph.rules.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class Destination:
    """How to POST to a webhook URL: `url` names the checked address itself; `headers`
    and `extensions` keep the original host for HTTP (`Host`) and TLS (SNI, certificate)."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, object] = field(default_factory=dict)


async def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (a literal address resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


async def check_registration(url: str, *, allow_private: bool,
                             field_path: Sequence[str] = ("input", "url")) -> None:
    """Refuse a URL whose host resolves to a non-public address.

    A name that does not resolve (yet) is accepted: nothing can be reached through it now,
    and every delivery checks it again."""
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    try:
        addresses = await resolve(host, _port(url))
    except (OSError, UnicodeError):
        return
    rules.check_addresses(host, addresses, field_path)


async def destination(url: str, *, allow_private: bool) -> Destination:
    """Resolve and check the host now, for one delivery; raises DomainError (VALIDATION)
    when it leads to a non-public address, OSError when it does not resolve."""
    if allow_private:
        return Destination(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    addresses = await resolve(host, _port(url))
    if not addresses:
        raise DomainError(ErrorCode.VALIDATION, f"{host} resolves to no address")
    rules.check_addresses(host, addresses, ())
    chosen = addresses[0]
    literal = f"[{chosen}]" if ":" in chosen else chosen
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    host_header = parts.netloc.rsplit("@", 1)[-1]
    extensions: dict[str, object] = {"sni_hostname": host} if parts.scheme == "https" else {}
    return Destination(pinned, {"Host": host_header}, extensions)
