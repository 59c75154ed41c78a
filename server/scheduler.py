"""The scheduled-send scheduler (R-MAIL-2), started and stopped by the app's lifespan.

It wakes every `poll_seconds` (and at once when a mutation queued an email), and sends
every PENDING_SEND email whose `send_at` has come, through the configured sender.

What is promised, and why:

- **Default sender (records the email as sent): exactly once.** The state change
  (PENDING_SEND → SENT, one conditional UPDATE), the delivery row, the timeline and the
  `email.sent` event commit in one transaction. A crash or a stop before the commit
  leaves the email PENDING_SEND for the next run; a second process's UPDATE finds it
  no longer PENDING_SEND and changes nothing. A restart neither loses nor doubles a send.
- **SMTP (any sender that reaches outside): at least once.** An SMTP server cannot join
  our transaction, so a send is three steps: claim the email with a lease (one UPDATE on
  `email_sends` that no other process can win at the same time), deliver, then record
  SENT. A stop waits for deliveries under way and records them. Only a hard crash
  between "delivered" and "recorded" sends again, after the lease runs out — with the
  same Message-ID (kept on the activity before the first try), so a receiver can drop it.
  A failed delivery is tried again after a growing delay; after `max_attempts` the email
  becomes CANCELED with status reason SEND_FAILED.

Time comes from `clock` (tests pass their own): nothing here waits for wall time to pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta

from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.commands import scheduled_send as sends
from graph.db import Database, is_busy
from graph.mail import OutgoingEmail, RecordingSender, Sender, SmtpSender, SmtpSettings
from graph.models import utcnow
from subscriptions.waiting import woken, within

log = logging.getLogger("relate.mail")

Clock = Callable[[], datetime]
Hook = Callable[[], Awaitable[None]]


class MailSettings(BaseSettings):
    """RELATE_MAIL_*: which sender delivers email, and how the scheduler runs."""

    model_config = SettingsConfigDict(env_prefix="RELATE_MAIL_", env_file=".env", extra="ignore")

    sender: str = "record"  # "record" (the default) or "smtp"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = "none"  # "none", "starttls" or "tls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 30.0
    from_address: str = "relate@localhost"
    message_id_domain: str = "relate.localhost"
    poll_seconds: float = 5.0
    busy_retry_seconds: float = 1.0
    batch_size: int = 50
    lease_seconds: float = 300.0
    max_attempts: int = 8
    stop_timeout_seconds: float = 30.0


def configured_sender(settings: MailSettings) -> Sender:
    if settings.sender == "record":
        return RecordingSender()
    if settings.sender == "smtp":
        return SmtpSender(SmtpSettings(
            host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
            username=settings.smtp_username, password=settings.smtp_password,
            timeout_seconds=settings.smtp_timeout_seconds,
        ))
    raise ValueError(f"RELATE_MAIL_SENDER is 'record' or 'smtp', not {settings.sender!r}")


class Scheduler:
    def __init__(self, db: Database, sender: Sender, *, settings: MailSettings | None = None,
                 clock: Clock = utcnow, after_commit: list[Hook] | None = None) -> None:
        self.db = db
        self.sender = sender
        self.settings = settings or MailSettings()
        self.clock = clock
        # The app's after-commit hooks (the live-update relay): events leave at once.
        self.after_commit = after_commit if after_commit is not None else []
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.defaults = sends.MailDefaults(self.settings.from_address, self.settings.message_id_domain)
        self.sent_total = 0
        # The last run met a busy database and stopped early: the loop comes back sooner.
        self.put_off = False
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        # Set when `stop` begins: deliveries under way finish and are recorded, no new run starts.
        self.stopping = asyncio.Event()

    @property
    def delivers_outside(self) -> bool:
        """True when sending means more than recording: then even "send now" is queued
        here, so a mutation never waits on a mail server."""
        return not self.sender.exactly_once

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="relate-scheduled-send")
        log.info("scheduled send started (%s sender)", type(self.sender).__name__)

    def kick(self) -> None:
        self._wake.set()

    async def kick_after_commit(self) -> None:
        """An after-commit hook for a mutation that queued an email."""
        self.kick()

    async def stop(self) -> None:
        """Let a run under way finish (its deliveries get recorded), then end the loop."""
        self.stopping.set()
        self._wake.set()
        if self._task is None:
            return
        try:
            await within(asyncio.shield(self._task), self.settings.stop_timeout_seconds)
        except TimeoutError:
            log.warning("scheduled send did not stop within %ss; cancelling", self.settings.stop_timeout_seconds)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                await self.run_once()
            except Exception:  # a bad run must not end the loop; the next poll tries again
                log.exception("scheduled send run failed")
            if self.stopping.is_set():
                break
            await woken(self._wake, self.settings.busy_retry_seconds if self.put_off else self.settings.poll_seconds)
            self._wake.clear()

    async def run_once(self) -> int:
        """Send everything due now; returns how many this process sent.

        A busy database (another process's writes, an exhausted pool) puts the rest of the
        run off rather than failing it: what was sent is counted, what was not stays
        PENDING_SEND, and the loop tries again after `busy_retry_seconds`. A relay pass
        does the same; only a database refusing a statement is an error."""
        sent = 0
        async with self._lock:
            self.put_off = False
            try:
                async for count in (self._run_exactly_once() if self.sender.exactly_once else self._run_claimed()):
                    sent += count
            except Exception as error:
                if not is_busy(error):
                    raise
                self.put_off = True
                log.warning("scheduled send put off after %d sent, the database is busy: %s", sent, error)
        async with self._progress:
            self.sent_total += sent
            self._progress.notify_all()
        if sent:
            await self._hooks()
        return sent

    async def sent_at_least(self, count: int) -> None:
        """Wait until this scheduler has sent `count` emails (an event to await, not a poll)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.sent_total >= count)

    async def _due(self, now: datetime) -> bool:
        async with self.db.read() as session:
            return await sends.any_due(session, now)

    async def _run_exactly_once(self) -> AsyncIterator[int]:
        """Each batch commits on its own; yields how many each sent."""
        while True:
            now = self.clock()
            if not await self._due(now):
                break
            async with self.db.unit_of_work() as session:
                sent = await sends.send_due_exactly_once(session, self.sender.send, now,
                                                         self.settings.batch_size, self.defaults)
            yield sent
            if sent < self.settings.batch_size or self.stopping.is_set():
                break

    async def _run_claimed(self) -> AsyncIterator[int]:
        """Claims a batch, then delivers and records each email; yields 1 per email sent."""
        lease = timedelta(seconds=self.settings.lease_seconds)
        while True:
            now = self.clock()
            if not await self._due(now):
                break
            async with self.db.unit_of_work() as session:
                ids = await sends.claim(session, now, self.worker, lease, self.settings.batch_size)
                messages = await sends.outgoing(session, ids, self.defaults)
            for message in messages:
                yield await self._deliver(message)
            if len(ids) < self.settings.batch_size or self.stopping.is_set():
                break

    async def _deliver(self, message: OutgoingEmail) -> int:
        try:
            await self.sender.send(message)
        except Exception as exc:  # the server said no, or was not there: try again later
            log.warning("sending email %s failed: %s", message.activity_id, exc)
            async with self.db.unit_of_work() as session:
                await sends.mark_failed(session, message.activity_id, f"{type(exc).__name__}: {exc}",
                                        self.clock(), self.settings.max_attempts)
            await self._hooks()
            return 0
        async with self.db.unit_of_work() as session:
            recorded = await sends.mark_sent(session, message.activity_id, self.clock())
        if not recorded:
            log.warning("email %s was delivered but had left PENDING_SEND meanwhile", message.activity_id)
        return 1

    async def _hooks(self) -> None:
        for hook in self.after_commit:
            try:
                await hook()
            except Exception:
                log.exception("after-commit hook failed")
