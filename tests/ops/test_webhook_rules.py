"""The pure webhook rules (R-LIVE-6): URLs, filters, signatures, backoff."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from graph.rules import webhooks as rules
from graph.rules.errors import DomainError


def test_backoff_doubles_from_the_base_and_stops_at_the_cap() -> None:
    waits = [rules.backoff_seconds(n, base=1.0, cap=300.0) for n in range(1, 12)]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert rules.backoff_seconds(10_000, base=1.0, cap=300.0) == 300  # no overflow after days down


@pytest.mark.parametrize(("url", "allow_http", "ok"), [
    ("https://hooks.example/relate", False, True),
    ("http://127.0.0.1:8080/hook", False, True),
    ("http://localhost/hook", False, True),
    ("http://[::1]:9000/hook", False, True),
    ("http://hooks.example/relate", False, False),
    ("http://hooks.example/relate", True, True),
    ("http://127.0.0.1.nip.io/hook", False, False),  # a name that merely looks local
    ("https://u:p@hooks.example/", False, False),
    ("mailto:ops@example.org", False, False),
    ("https:///no-host", False, False),
])
def test_urls_must_be_https_except_to_this_machine(url: str, allow_http: bool, ok: bool) -> None:
    if ok:
        assert rules.check_url(f"  {url} ", allow_http=allow_http) == url
    else:
        with pytest.raises(DomainError) as refused:
            rules.check_url(url, allow_http=allow_http)
        assert refused.value.problems[0].field == ("input", "url")


def test_an_unknown_kind_or_type_is_named_with_its_position() -> None:
    with pytest.raises(DomainError) as refused:
        rules.check_filter(["record.changed", "nope"], ["ACCOUNT", "WIDGET"])
    assert [p.field for p in refused.value.problems] == [("input", "eventKinds", "1"), ("input", "recordTypes", "1")]
    wanted = rules.check_filter(["record.changed", "record.changed"], [])
    assert wanted.event_kinds == ("record.changed",)
    assert wanted.wants_kind("record.changed") and not wanted.wants_kind("timeline.changed")
    assert wanted.wants_types([]) and wanted.wants_types(["LEAD"])  # no type filter: everything
    everything = rules.check_filter([], [])  # every documented kind, none of the outbox's internal ones
    assert all(everything.wants_kind(k) for k in rules.EVENT_KINDS) and not everything.wants_kind("personal.changed")


def test_a_type_filter_needs_one_matching_record() -> None:
    wanted = rules.WebhookFilter(record_types=("CONTACT",))
    assert wanted.wants_types(["ACCOUNT", "CONTACT"]) and not wanted.wants_types(["ACCOUNT"])
    assert not wanted.wants_types([])


def test_the_signature_is_the_standard_webhooks_hmac_of_id_timestamp_and_body() -> None:
    secret = rules.new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    assert len(key) == 32 and rules.is_standard_secret(secret)
    body = b'{"seq":1}'
    sent_at = datetime(2026, 12, 7, 11, 0, 5, 900_000, tzinfo=UTC)
    headers = rules.signature_headers(secret, "evt_1", sent_at, body)
    expected = base64.b64encode(hmac.new(key, b"evt_1.1796641205." + body, hashlib.sha256).digest()).decode()
    assert headers == {"webhook-id": "evt_1", "webhook-timestamp": "1796641205", "webhook-signature": f"v1,{expected}"}
    assert rules.message_id(42) == "evt_42"


def test_a_legacy_secret_keeps_its_key_in_the_standard_form() -> None:
    legacy = "whsec_" + "A-b_" * 10 + "xyz"  # what token_urlsafe(32) gave: not valid base64
    assert not rules.is_standard_secret(legacy)
    converted = rules.legacy_secret_as_standard(legacy)
    assert rules.is_standard_secret(converted)
    assert base64.b64decode(converted.removeprefix("whsec_")) == legacy.encode()


@pytest.mark.parametrize(("status", "delivered"), [(200, True), (204, True), (299, True), (301, False),
                                                   (400, False), (410, False), (503, False)])
def test_only_2xx_counts_as_delivered(status: int, delivered: bool) -> None:
    assert rules.delivered(status) is delivered
