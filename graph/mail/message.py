"""An email as a sender sees it: plain addresses and text, nothing of the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class OutgoingEmail:
    activity_id: uuid.UUID
    # Kept on the activity before the first try, so every retry carries the same one and
    # a receiver can drop a duplicate delivery (see at-least-once in server/scheduler.py).
    message_id: str
    from_address: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    body_html: str | None = None
    in_reply_to: str | None = None

    @property
    def recipients(self) -> tuple[str, ...]:
        return (*self.to, *self.cc, *self.bcc)

    def as_mime(self) -> EmailMessage:
        """The RFC 5322 message; BCC recipients are envelope-only, never in a header."""
        mime = EmailMessage()
        mime["Message-ID"] = self.message_id
        mime["From"] = self.from_address
        if self.to:
            mime["To"] = ", ".join(self.to)
        if self.cc:
            mime["Cc"] = ", ".join(self.cc)
        mime["Subject"] = self.subject
        if self.in_reply_to:
            mime["In-Reply-To"] = self.in_reply_to
        mime.set_content("This message is in HTML; open it in a mail client that shows HTML.")
        mime.add_alternative(self.body_html or "", subtype="html")
        return mime
