"""Webhook rules (R-LIVE-6): what may be registered, what an event matches, how it is
signed, and how long to wait before trying a failed delivery again. Pure functions."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.records import text_problem

# Outbox event kinds a webhook can ask for (graph/events.py).
EVENT_KINDS = ("record.changed", "timeline.changed", "worklist.changed")
RECORD_TYPES = ("ACCOUNT", "CONTACT", "LEAD", "OPPORTUNITY", "CASE")
SIGNATURE_HEADER = "X-Relate-Signature"
EVENT_ID_HEADER = "X-Relate-Event-Id"
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


def sign(secret: str, body: bytes) -> str:
    """The `X-Relate-Signature` value: `sha256=` and the hex HMAC-SHA256 of the exact body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and what the tests do): constant-time comparison."""
    return hmac.compare_digest(sign(secret, body), signature)


def backoff_seconds(failures: int, base: float, cap: float) -> float:
    """Capped exponential: base, 2·base, 4·base … never more than `cap` (failures ≥ 1).

    No jitter: one webhook has one delivery in flight, so there is no herd to spread."""
    return min(cap, base * 2 ** min(max(failures, 1) - 1, 30))


def delivered(status_code: int) -> bool:
    """Any 2xx is a delivery; anything else (3xx included: redirects are not followed) is retried."""
    return 200 <= status_code < 300
