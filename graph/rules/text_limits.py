"""The longest text each field takes, in one table (docs/api.md lists it).

Without a limit one client could store a 15 MiB description: ten of them took a server from
110 to 624 MB, and a timeline page carrying them was more than a subscriber's websocket
frame limit. Longer input is refused with VALIDATION naming the field, never truncated.

The limits are in characters (what clients count) and fit the columns: `String(n)` columns
have their `n`, `Text` columns a limit chosen for what people write there. The email body
is the one set per deployment (`RELATE_MAX_EMAIL_BODY_CHARS`: mail with inline markup can
be long); the server sets it per request with `use_email_body_limit`, and code without a
request (imports, scripts) gets the default.
"""

from __future__ import annotations

from contextvars import ContextVar

DEFAULT_EMAIL_BODY_CHARS = 1_000_000

TEXT_LIMITS: dict[str, int] = {
    # records
    "name": 400, "first_name": 200, "last_name": 200, "email": 320, "phone": 50, "mobile_phone": 50,
    "website": 400, "industry": 100, "address_line": 400, "city": 100, "postal_code": 20, "country": 100,
    "job_title": 200, "topic": 400, "title": 400, "company_name": 200, "external_id": 200,
    # activities
    "subject": 400, "description": 100_000, "location": 400, "online_meeting_url": 1000, "phone_number": 50,
    "message_id": 400, "in_reply_to": 400, "category": 100,
    # a text message's text (stored as its description)
    "text": 10_000,
    # notes
    "note_title": 400, "note_text": 100_000,
}

_email_body_chars: ContextVar[int] = ContextVar("relate_max_email_body_chars", default=DEFAULT_EMAIL_BODY_CHARS)


def use_email_body_limit(chars: int) -> None:
    """The email body limit for the rest of this request (and the tasks it starts)."""
    _email_body_chars.set(chars)


def text_limit(field: str) -> int | None:
    """The longest text `field` takes, or None for fields that are not free text."""
    if field == "body_html":
        return _email_body_chars.get()
    return TEXT_LIMITS.get(field)
