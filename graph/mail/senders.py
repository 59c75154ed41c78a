"""Senders: how an email leaves Relate (R-MAIL-2). Pluggable: anything with `send` and
`exactly_once` will do.

`exactly_once` says whether a delivery is nothing but Relate's own record of it. Then the
scheduler changes the state, records the attempt and calls `send` in one transaction:
it happens once or not at all. A sender that reaches outside (SMTP) cannot join that
transaction; the scheduler claims the email with a lease, delivers, then records, which
is at-least-once (server/scheduler.py explains when a second delivery can happen).
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass, field
from typing import Protocol

from graph.mail.message import OutgoingEmail


class Sender(Protocol):
    exactly_once: bool

    async def send(self, message: OutgoingEmail) -> None:
        """Deliver `message`, or raise: the scheduler records the error and tries again later."""
        ...


@dataclass
class RecordingSender:
    """The default: the email is recorded as sent; nothing leaves the process."""

    exactly_once: bool = True
    # What was "sent" by this process, newest last: for a look in a shell or a test.
    sent: list[OutgoingEmail] = field(default_factory=list)

    async def send(self, message: OutgoingEmail) -> None:
        self.sent.append(message)


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    # "none", "starttls" (upgrade a plain connection) or "tls" (implicit TLS, usually port 465).
    security: str = "none"
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 30.0


class SmtpSender:
    """Hands each message to an SMTP server with the standard library's `smtplib`, in a
    worker thread so the event loop never waits on the network."""

    exactly_once = False

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingEmail) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: OutgoingEmail) -> None:
        s = self.settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if s.security == "tls":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        with client:
            if s.security == "starttls":
                client.starttls(context=context)
            if s.username:
                client.login(s.username, s.password or "")
            client.send_message(message.as_mime(), from_addr=message.from_address,
                                to_addrs=list(message.recipients))
