"""Scheduled send (R-MAIL-2): the scheduler in the app's lifespan, across restarts and
processes, with the default recording sender (exactly once) and SMTP (at least once,
against a local SMTP sink).

Each test starts real apps (lifespan on) on the test database, with its own clock: time
moves when the test says so, and the tests await the scheduler's own signals, never the
wall clock.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from graph.commands import scheduled_send as sends
from graph.db import Database, WritesBusy
from graph.mail import OutgoingEmail
from graph.models import Activity, EmailSend, OutboxEvent
from server.app import create_app
from server.scheduler import Scheduler
from server.settings import Settings
from tests.support.activity_factories import raw
from tests.support.client import Api
from tests.support.org import Org

EMAIL = "email { id state statusReason sendAt messageId }"
TIMEOUT = 10.0


class Clock:
    """The scheduler's idea of now; starts at the real now, moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class CountingSender:
    """The default kind of sender (delivery is the record), counting its calls."""

    exactly_once: bool = True
    sent: list[OutgoingEmail] = field(default_factory=list)

    async def send(self, message: OutgoingEmail) -> None:
        self.sent.append(message)


@dataclass
class Running:
    app: Any
    api: Api

    @property
    def scheduler(self) -> Any:
        return self.app.state.scheduler


@pytest.fixture
def start(db: Database, settings: Settings, org: Org, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Start an app with lifespan on the test database; `stack` stops it (a restart = stop + start)."""
    monkeypatch.setenv("RELATE_MAIL_POLL_SECONDS", "3600")  # runs only at start and when kicked

    @asynccontextmanager
    async def running(sender: Any = None, clock: Clock | None = None) -> AsyncIterator[Running]:
        app = create_app(settings, db=db, mail_sender=sender, clock=clock)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://relate.test") as http:
                yield Running(app, Api(http, org.tokens))
    return running


async def schedule(api: Api, when: datetime, subject: str = "Proposal", **extra: Any) -> dict[str, Any]:
    values = {"subject": subject, "to": [{"address": "buyer@example.test"}], "sendAt": when.isoformat(), **extra}
    return (await api.ok("sendEmail", values, EMAIL, as_="sales1"))["email"]


async def state_of(db: Database, email_id: str) -> tuple[str, int, int]:
    """(state, delivery attempts, email.sent events) of one email, from the tables."""
    activity_id = raw(email_id)
    async with db.read() as session:
        state = await session.scalar(select(Activity.state).where(Activity.id == activity_id))
        attempts = await session.scalar(select(EmailSend.attempts).where(EmailSend.activity_id == activity_id))
        events = await session.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.kind == "email.sent", OutboxEvent.payload["activityId"].as_string() == str(activity_id)))
    return str(state), int(attempts or 0), int(events or 0)


async def test_a_scheduled_email_is_sent_exactly_once_across_a_restart(start: Any, db: Database) -> None:
    sender, clock = CountingSender(), Clock()
    async with start(sender, clock) as first:
        email = await schedule(first.api, clock.now + timedelta(minutes=1))
        assert email["state"] == "PENDING_SEND"
        assert await first.scheduler.run_once() == 0  # not due yet: the server stops before it is
    assert await state_of(db, email["id"]) == ("PENDING_SEND", 0, 0)
    clock.advance(minutes=2)
    async with start(sender, clock) as second:
        await asyncio.wait_for(second.scheduler.sent_at_least(1), TIMEOUT)  # sent as the app starts
        assert await second.scheduler.run_once() == 0
        shown = await second.api("query($id: ID!) { node(id: $id) { ... on Email { state statusReason } } }",
                                 {"id": email["id"]}, as_="sales1")
        assert shown["node"] == {"state": "SENT", "statusReason": "SENT"}
    async with start(sender, clock) as third:
        assert await third.scheduler.run_once() == 0
    assert len(sender.sent) == 1 and sender.sent[0].subject == "Proposal"
    assert await state_of(db, email["id"]) == ("SENT", 1, 1)


async def test_two_servers_at_once_send_each_email_once(start: Any, db: Database) -> None:
    sender, clock = CountingSender(), Clock()
    async with start(sender, clock) as one, start(sender, clock) as two:
        emails = [await schedule(one.api, clock.now + timedelta(minutes=2), f"Mail {i}") for i in range(6)]
        clock.advance(minutes=3)
        await asyncio.gather(one.scheduler.run_once(), two.scheduler.run_once(),
                             one.scheduler.run_once(), two.scheduler.run_once())
        # A run that met the other server's writes puts the rest off (R-MAIL-2, a busy
        # database is not an error); further runs send what is left, each at most once.
        for _ in range(20):
            if one.scheduler.sent_total + two.scheduler.sent_total >= 6:
                break
            await asyncio.gather(one.scheduler.run_once(), two.scheduler.run_once())
    # Counted by the schedulers, not by these calls' results: a server's own loop, woken
    # by the mutations, may have sent some of them first.
    assert one.scheduler.sent_total + two.scheduler.sent_total == 6
    assert sorted(m.subject for m in sender.sent) == [f"Mail {i}" for i in range(6)]
    for email in emails:
        assert await state_of(db, email["id"]) == ("SENT", 1, 1)


async def test_a_busy_database_puts_a_run_off_and_loses_nothing(start: Any, db: Database,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    sender, clock = CountingSender(), Clock()
    async with start(sender, clock) as running:
        email = await schedule(running.api, clock.now + timedelta(minutes=2))
    clock.advance(minutes=3)
    scheduler = Scheduler(db, sender, clock=clock)  # no loop of its own: only these runs send
    real_unit_of_work, busy = db.unit_of_work, [WritesBusy(5.0)]

    def busy_once() -> Any:
        if busy:
            raise busy.pop()
        return real_unit_of_work()
    monkeypatch.setattr(db, "unit_of_work", busy_once)
    assert await scheduler.run_once() == 0  # put off, not raised
    assert scheduler.put_off and await state_of(db, email["id"]) == ("PENDING_SEND", 0, 0)
    assert await scheduler.run_once() == 1 and not scheduler.put_off
    assert await state_of(db, email["id"]) == ("SENT", 1, 1) and len(sender.sent) == 1


async def test_a_canceled_scheduled_email_is_never_sent(start: Any, db: Database) -> None:
    sender, clock = CountingSender(), Clock()
    async with start(sender, clock) as running:
        email = await schedule(running.api, clock.now + timedelta(minutes=5))
        await running.api.ok("cancelActivities", {"ids": [email["id"]]}, "results { ok }", as_="sales1")
        clock.advance(minutes=10)
        assert await running.scheduler.run_once() == 0
    assert sender.sent == [] and (await state_of(db, email["id"]))[0] == "CANCELED"


# --- SMTP: delivered outside Relate, at least once ------------------------------------------

class Sink:
    """A local SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.received = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope)
        self.loop.call_soon_threadsafe(self.received.set)
        return "250 OK"


@pytest.fixture
async def sink(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Sink]:
    found = Sink()
    found.controller.start()
    monkeypatch.setenv("RELATE_MAIL_SENDER", "smtp")
    monkeypatch.setenv("RELATE_MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RELATE_MAIL_SMTP_PORT", str(found.port))
    monkeypatch.setenv("RELATE_MAIL_SMTP_TIMEOUT_SECONDS", "5")
    try:
        yield found
    finally:
        found.controller.stop()


async def test_with_smtp_an_email_sent_now_is_queued_and_delivered_once(start: Any, db: Database,
                                                                        sink: Sink) -> None:
    async with start() as running:
        queued = await running.api.ok("sendEmail", {
            "subject": "Quote", "bodyHtml": "<p>Your quote</p>", "to": [{"address": "buyer@example.test"}],
            "cc": [{"address": "boss@example.test"}], "bcc": [{"address": "archive@example.test"}],
        }, EMAIL, as_="sales1")
        assert queued["email"]["state"] == "PENDING_SEND"  # the mutation never waits on the mail server
        await asyncio.wait_for(running.scheduler.sent_at_least(1), TIMEOUT)
    envelope, = sink.messages
    assert envelope.mail_from == "sales1@test.relate"
    assert sorted(envelope.rcpt_tos) == ["archive@example.test", "boss@example.test", "buyer@example.test"]
    body = envelope.content.decode()
    assert "Subject: Quote" in body and "To: buyer@example.test" in body and "Cc: boss@example.test" in body
    assert "archive@example.test" not in body  # BCC only on the envelope
    state, attempts, events = await state_of(db, queued["email"]["id"])
    assert (state, attempts, events) == ("SENT", 1, 1)
    async with db.read() as session:
        message_id = await session.scalar(select(Activity.message_id).where(
            Activity.id == raw(queued["email"]["id"])))
    assert message_id and "<" not in message_id and f"Message-ID: <{message_id}>" in body


async def test_with_smtp_a_scheduled_email_waits_for_its_time(start: Any, db: Database, sink: Sink) -> None:
    clock = Clock()
    async with start(clock=clock) as running:
        email = await schedule(running.api, clock.now + timedelta(hours=1))
        assert await running.scheduler.run_once() == 0 and sink.messages == []
        clock.advance(hours=1, seconds=1)
        running.scheduler.kick()
        await asyncio.wait_for(running.scheduler.sent_at_least(1), TIMEOUT)
    assert len(sink.messages) == 1
    assert await state_of(db, email["id"]) == ("SENT", 1, 1)


@dataclass
class GatedSender:
    """Delivers outside Relate (like SMTP) but waits at a gate the test opens."""

    exactly_once: bool = False
    started: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    sent: list[OutgoingEmail] = field(default_factory=list)

    async def send(self, message: OutgoingEmail) -> None:
        self.started.set()
        await self.gate.wait()
        self.sent.append(message)


async def test_stopping_mid_delivery_records_it_and_the_next_server_sends_nothing(start: Any, db: Database) -> None:
    sender, clock = GatedSender(), Clock()
    async with AsyncExitStack() as stack:
        running = await stack.enter_async_context(start(sender, clock))
        email = await schedule(running.api, clock.now + timedelta(minutes=2))
        clock.advance(minutes=3)
        running.scheduler.kick()
        await asyncio.wait_for(sender.started.wait(), TIMEOUT)
        stopping = asyncio.create_task(stack.aclose())  # the server is asked to stop mid-delivery
        await asyncio.wait_for(running.scheduler.stopping.wait(), TIMEOUT)
        sender.gate.set()
        await asyncio.wait_for(stopping, TIMEOUT)
    assert await state_of(db, email["id"]) == ("SENT", 1, 1)
    async with start(sender, clock) as again:
        assert await again.scheduler.run_once() == 0
    assert len(sender.sent) == 1


@dataclass
class FailingSender:
    exactly_once: bool = False
    tries: int = 0

    async def send(self, message: OutgoingEmail) -> None:
        self.tries += 1
        raise ConnectionRefusedError("the mail server is down")


async def test_a_failed_delivery_is_retried_later_and_given_up_after_the_last_attempt(
        start: Any, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELATE_MAIL_MAX_ATTEMPTS", "2")
    sender, clock = FailingSender(), Clock()
    async with start(sender, clock) as running:
        email = await schedule(running.api, clock.now + timedelta(minutes=2))
        clock.advance(minutes=3)
        assert await running.scheduler.run_once() == 0
        assert sender.tries == 1 and await state_of(db, email["id"]) == ("PENDING_SEND", 1, 0)
        assert await running.scheduler.run_once() == 0 and sender.tries == 1  # backing off for a minute
        clock.advance(minutes=1, seconds=1)
        assert await running.scheduler.run_once() == 0 and sender.tries == 2
        shown = await running.api("query($id: ID!) { node(id: $id) { ... on Email { state statusReason } } }",
                                  {"id": email["id"]}, as_="sales1")
    assert shown["node"] == {"state": "CANCELED", "statusReason": "SEND_FAILED"}
    async with db.read() as session:
        error = await session.scalar(select(EmailSend.last_error).where(EmailSend.activity_id == raw(email["id"])))
    assert error is not None and "mail server is down" in error


async def test_a_claim_is_held_for_its_lease_and_taken_over_after_a_crash(start: Any, db: Database) -> None:
    """At least once, by design: a worker that claimed an email and died before recording
    it is replaced after the lease; before that, no one else takes it."""
    clock = Clock()
    async with start(CountingSender(), clock) as running:
        email = await schedule(running.api, clock.now + timedelta(minutes=2))
    now = clock.now + timedelta(minutes=3)
    lease = timedelta(minutes=5)
    async with db.unit_of_work() as session:
        assert await sends.claim(session, now, "worker-a", lease, 10) == [raw(email["id"])]
    async with db.unit_of_work() as session:
        assert await sends.claim(session, now + timedelta(minutes=4), "worker-b", lease, 10) == []
    async with db.unit_of_work() as session:
        assert await sends.claim(session, now + lease, "worker-b", lease, 10) == [raw(email["id"])]
        messages = await sends.outgoing(session, [raw(email["id"])], sends.MailDefaults())
        assert await sends.mark_sent(session, raw(email["id"]), now + lease)
    async with db.unit_of_work() as session:
        assert not await sends.mark_sent(session, raw(email["id"]), now + lease)  # recorded once only
    assert messages[0].to == ("buyer@example.test",) and messages[0].message_id.startswith("<")
    assert await state_of(db, email["id"]) == ("SENT", 2, 1)


async def test_an_unknown_sender_setting_stops_the_start(db: Database, settings: Settings,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELATE_MAIL_SENDER", "pigeon")
    app = create_app(settings, db=db)
    with pytest.raises(ValueError, match="pigeon"):
        async with app.router.lifespan_context(app):
            pass
