"""Webhook rules (R-LIVE-6): what may be registered, what an event matches, how it is
signed, and how long to wait before trying a failed delivery again. Pure functions.

Signatures follow the Standard Webhooks scheme, so receivers can verify them with any of
its libraries: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed
with the bytes the `whsec_<base64>` secret encodes. The timestamp is signed, so a receiver
that refuses old timestamps cannot be fed a captured delivery again later.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from standardwebhooks import Webhook as StandardWebhook

from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.records import text_problem

# Outbox event kinds a webhook can ask for (graph/events.py).
EVENT_KINDS = ("record.changed", "timeline.changed", "worklist.changed")
RECORD_TYPES = ("ACCOUNT", "CONTACT", "LEAD", "OPPORTUNITY", "CASE")
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
EVENT_ID_HEADER = "X-Relate-Event-Id"
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_URL = 2000
LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True)
class WebhookFilter:
    """Empty means every kind of `EVENT_KINDS` (the outbox's other kinds are internal, e.g.
    `personal.changed`); otherwise an event must match a listed kind *and* type."""

    event_kinds: tuple[str, ...] = ()
    record_types: tuple[str, ...] = ()

    def wants_kind(self, kind: str) -> bool:
        return kind in (self.event_kinds or EVENT_KINDS)

    def wants_types(self, types: Iterable[str]) -> bool:
        return not self.record_types or any(t in self.record_types for t in types)


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_http: bool) -> str:
    """HTTPS only (SPEC R-LIVE-6), except to this machine (development, tests) or when the
    operator allows plain HTTP everywhere (`RELATE_WEBHOOK_ALLOW_HTTP`)."""
    url = url.strip()
    field = ("input", "url")
    if not url or len(url) > MAX_URL:
        raise DomainError(ErrorCode.VALIDATION, f"url must be 1 to {MAX_URL} characters", field)
    if (why := text_problem(url)) is not None:
        raise DomainError(ErrorCode.VALIDATION, f"url {why}", field)
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise DomainError(ErrorCode.VALIDATION, "url has an invalid port", field) from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DomainError(ErrorCode.VALIDATION, "url must be an absolute https:// URL", field)
    if parts.username or parts.password:
        raise DomainError(ErrorCode.VALIDATION, "url must not carry credentials; the body is signed instead", field)
    if parts.scheme == "http" and not (allow_http or is_loopback(parts.hostname)):
        raise DomainError(ErrorCode.VALIDATION, "url must use https:// (plain http only to this machine)", field)
    return url


# Checked in this order, so the reason given is the most specific one.
_ADDRESS_KINDS = (
    ("is_unspecified", "unspecified"),
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local"),
    ("is_multicast", "multicast"),
    ("is_private", "private"),
    ("is_reserved", "reserved"),
)


def address_problem(address: str) -> str | None:
    """Why a webhook may not be sent to this IP address, or None for a public one.

    An IPv4 address wrapped in IPv6 (`::ffff:a.b.c.d`, or 6to4/Teredo forms) is judged as the
    IPv4 address it reaches; anything not globally routable (shared 100.64/10, documentation
    ranges…) is refused too."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        wrapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if wrapped is not None:
            return address_problem(str(wrapped))
    for attribute, kind in _ADDRESS_KINDS:
        if getattr(ip, attribute):
            return f"{kind} address {ip}"
    if not ip.is_global:
        return f"non-public address {ip}"
    return None


def check_addresses(host: str, addresses: Sequence[str], field: Sequence[str] = ("input", "url")) -> None:
    """Every address the host resolves to must be public (see `address_problem`)."""
    for address in addresses:
        if (why := address_problem(address)) is not None:
            raise DomainError(ErrorCode.VALIDATION,
                              f"url must lead to a public address, but {host} leads to a {why} "
                              "(RELATE_WEBHOOK_ALLOW_PRIVATE allows it)", field)


def check_filter(event_kinds: Sequence[str], record_types: Sequence[str]) -> WebhookFilter:
    problems = [
        Problem(ErrorCode.VALIDATION, f"unknown event kind '{k}'", ("input", "eventKinds", str(i)))
        for i, k in enumerate(event_kinds) if k not in EVENT_KINDS
    ] + [
        Problem(ErrorCode.VALIDATION, f"unknown record type '{t}'", ("input", "recordTypes", str(i)))
        for i, t in enumerate(record_types) if t not in RECORD_TYPES
    ]
    if problems:
        raise DomainError(problems=problems)
    return WebhookFilter(tuple(dict.fromkeys(event_kinds)), tuple(dict.fromkeys(record_types)))


def new_secret() -> str:
    """`whsec_` and the standard base64 of 32 random bytes: the key Standard Webhooks expects."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def legacy_secret_as_standard(secret: str) -> str:
    """A secret issued before Standard Webhooks signing (`whsec_` + URL-safe text, used as
    UTF-8 bytes) in the standard form that keys the HMAC with those very bytes."""
    return SECRET_PREFIX + base64.b64encode(secret.encode()).decode()


def is_standard_secret(secret: str) -> bool:
    if not secret.startswith(SECRET_PREFIX):
        return False
    try:
        return bool(base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True))
    except (binascii.Error, ValueError):
        return False


def message_id(seq: int) -> str:
    """`webhook-id`: one per event, the same on every retry, so receivers can drop repeats."""
    return f"evt_{seq}"


def signature_headers(secret: str, msg_id: str, sent_at: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt (signed at `sent_at`)."""
    stamp = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(int(stamp.timestamp())),
        SIGNATURE_HEADER: StandardWebhook(secret).sign(msg_id, stamp, body),
    }


def backoff_seconds(failures: int, base: float, cap: float) -> float:
    """Capped exponential: base, 2·base, 4·base … never more than `cap` (failures ≥ 1).

    No jitter: one webhook has one delivery in flight, so there is no herd to spread."""
    return min(cap, base * 2 ** min(max(failures, 1) - 1, 30))


def delivered(status_code: int) -> bool:
    """Any 2xx is a delivery; anything else (3xx included: redirects are not followed) is retried."""
    return 200 <= status_code < 300
