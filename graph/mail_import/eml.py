"""`.eml` files (RFC 5322 + MIME) read with the standard library's `email` package.

The modern policy decodes RFC 2047 words in subjects and names and RFC 2231 file names.
The body is the HTML alternative when there is one, else the plain text turned into
HTML. Every other leaf part is an attachment; images the HTML shows by `cid:` (or marks
inline) are flagged inline, so the tracker skips them (R-TRACK-4).
"""

from __future__ import annotations

import hashlib
import html
import mimetypes
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import Any

from graph.mail_import.parsed import MailFormatError, ParsedEmail, ParsedFile
from graph.rules.tracking import is_inline_image

# Without one of these, the bytes are not a message (a PDF renamed .eml parses, emptily).
MESSAGE_HEADERS = ("From", "To", "Date", "Subject", "Message-ID")


def parse_eml(data: bytes) -> ParsedEmail:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    if not any(message.get(h) for h in MESSAGE_HEADERS):
        raise MailFormatError("this is not an email message (.eml): no From, To, Date, Subject or Message-ID")
    body_part = message.get_body(preferencelist=("html", "plain"))
    body_html = _body_html(body_part) if body_part is not None else None
    return ParsedEmail(
        message_id=_text(message, "Message-ID") or _content_id(data),
        subject=_text(message, "Subject"),
        sender=next(iter(_addresses(message, "From")), None),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        bcc=_addresses(message, "Bcc"),
        sent_on=_date(message),
        in_reply_to=_text(message, "In-Reply-To"),
        categories=[c.strip() for c in (_text(message, "Keywords") or "").split(",") if c.strip()],
        # Outlook marks a message saved before sending with X-Unsent: 1.
        is_draft=(_text(message, "X-Unsent") or "").strip() == "1",
        body_html=body_html,
        attachments=list(_attachments(message, body_part, body_html)),
    )


def _content_id(data: bytes) -> str:
    """A stable id for a message without a Message-ID, so importing it twice is still once."""
    return f"{hashlib.sha256(data).hexdigest()[:40]}@import.relate.invalid"


def _text(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _addresses(message: EmailMessage, name: str) -> list[str]:
    """addr-specs of an address header; groups flattened, undecodable entries dropped."""
    found: list[str] = []
    for header in message.get_all(name) or ():
        try:
            addresses = header.addresses
        except (AttributeError, ValueError, TypeError):
            continue
        found.extend(a.addr_spec for a in addresses if a.addr_spec and "@" in a.addr_spec)
    return found


def _date(message: EmailMessage) -> datetime | None:
    raw = message.get("Date")
    if raw is None:
        return None
    when = getattr(raw, "datetime", None)
    if when is None:
        try:
            when = parsedate_to_datetime(str(raw))
        except (TypeError, ValueError, IndexError):
            return None
    # "-0000" means "time zone unknown": read as UTC.
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _decoded_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # unknown or lying charset
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else str(content)


def _body_html(part: EmailMessage) -> str:
    text = _decoded_text(part)
    if part.get_content_subtype() == "html":
        return text
    plain = text.replace("\r\n", "\n")
    return '<div style="white-space:pre-wrap">' + html.escape(plain) + "</div>"


def _leaves(part: EmailMessage) -> Iterator[EmailMessage]:
    """Leaf parts in order; an attached message (message/rfc822) is one leaf, not opened."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    for sub in part.iter_parts():
        yield from _leaves(sub)  # type: ignore[arg-type]


def _attachments(message: EmailMessage, body: EmailMessage | None, body_html: str | None) -> Iterator[ParsedFile]:
    count = 0
    for part in _leaves(message):
        if part is body or part is message:
            continue
        disposition = part.get_content_disposition()
        file_name = part.get_filename()
        if part.get_content_maintype() == "text" and not file_name and disposition != "attachment":
            continue  # the other alternative of the body, or a calendar block of an invitation
        count += 1
        content_type = part.get_content_type()
        data = _part_bytes(part)
        yield ParsedFile(
            file_name=file_name or _generated_name(content_type, count),
            content_type=content_type,
            data=data,
            inline=is_inline_image(content_type, _maybe(part.get("Content-ID")), disposition, body_html),
        )


def _part_bytes(part: EmailMessage) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner: Any = part.get_payload(0)
        return bytes(inner.as_bytes(policy=policy.SMTP))
    return part.get_payload(decode=True) or b""


def _maybe(value: Any) -> str | None:
    return str(value) if value is not None else None


def _generated_name(content_type: str, count: int) -> str:
    if content_type == "message/rfc822":
        return f"message-{count}.eml"
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return f"attachment-{count}{extension}"
