"""The webhook delivery worker (R-LIVE-6): the outbox, by `seq`, to each webhook's URL.

Each webhook has its own persisted cursor (`webhooks.cursor`: the last event it is done
with), read and moved here exactly like the dispatcher reads the log, so a restart or a
receiver that is down for hours loses nothing: the worker resumes after the cursor.

Ordering: **per webhook, in `seq` order, head-of-line blocking.** The event after the
cursor is retried (capped exponential backoff) until the receiver accepts it; later events
wait behind it. So a receiver sees every event in commit order — per record and overall —
and a receiver that is down only delays its own webhook, never another one.

Delivery is at least once: a crash between the receiver's 2xx and the cursor's commit
sends that event again, with the same `webhook-id` and `X-Relate-Event-Id`.

Processes: one supervisor task per process wakes on new events (`wake`, called when the
relay stamps or a broker hint arrives), on a retry falling due and on a poll. It starts one
task per webhook that has events to deliver; that task first takes the webhook's lease in
the database, so when several processes share a database one of them delivers a given
webhook at a time (another takes over once a dead holder's lease expires).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from graph.commands import webhooks as commands
from graph import webhook_destinations as destinations
from graph.db import Database
from graph.models import Webhook, utcnow
from graph.queries import webhooks as queries
from graph.rules import webhooks as rules
from graph.rules.errors import DomainError
from server.settings import Settings
from subscriptions import log as outbox
from subscriptions import webhook_bodies as bodies
from subscriptions.log import LogEvent
from subscriptions.waiting import woken

log = logging.getLogger("relate.webhooks")

OnAttempt = Callable[[commands.Attempt], None]


@dataclass(frozen=True)
class Hook:
    """The webhook as one delivery pass sees it (read after taking the lease)."""

    id: uuid.UUID
    url: str
    secret: str
    cursor: int
    failures: int
    wanted: rules.WebhookFilter


class WebhookWorker:
    def __init__(self, db: Database, settings: Settings, *, on_attempt: OnAttempt | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.db = db
        self.settings = settings
        self.on_attempt = on_attempt
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = timedelta(seconds=settings.webhook_lease_seconds)
        # Proxy variables are ignored on purpose: deliveries go straight to the URL registered.
        self.client = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False,
                                        trust_env=False, transport=transport)
        self.delivered = 0
        self.failed = 0
        self._wake = asyncio.Event()
        self._running: dict[uuid.UUID, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None

    def wake(self, _up_to: int | None = None) -> None:
        """New events may be in the outbox: look soon. Never blocks."""
        self._wake.set()

    def start(self) -> None:
        self._wake.set()  # whatever was left undelivered by a previous run goes out first
        self._task = asyncio.create_task(self._supervise(), name="relate-webhooks")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.client.aclose()
        try:  # a task cancelled mid-claim may not have released its lease
            async with self.db.unit_of_work() as session:
                await commands.release_all(session, self.owner)
        except Exception:
            log.warning("could not release this process's webhook leases; they expire by themselves")

    # --- which webhooks have work ---------------------------------------------------------

    async def _supervise(self) -> None:
        wait = 0.0
        failures = 0
        while True:
            await woken(self._wake, wait)
            self._wake.clear()
            try:
                due, next_retry = await self._due(utcnow())
                failures = 0
            except Exception:
                failures += 1
                log.exception("webhook worker could not read the webhooks (%d in a row)", failures)
                wait = min(10.0, 0.1 * 2 ** min(failures, 7))
                continue
            for hook_id in due:
                if hook_id not in self._running:
                    task = asyncio.create_task(self._deliver(hook_id), name=f"relate-webhook-{hook_id}")
                    self._running[hook_id] = task
                    task.add_done_callback(lambda _t, h=hook_id: self._running.pop(h, None))
            wait = self.settings.webhook_poll_seconds
            if next_retry is not None:
                wait = max(0.0, min(wait, (next_retry - utcnow()).total_seconds()))

    async def _due(self, now: datetime) -> tuple[list[uuid.UUID], datetime | None]:
        """Active webhooks behind the head whose retry (if any) is due; and the next retry time.

        One statement: every commit wakes this, so with no webhook behind it costs one
        indexed read, not three."""
        async with self.db.read() as session:
            behind = (await session.execute(select(Webhook.id, Webhook.next_attempt_on).where(
                Webhook.active.is_(True), Webhook.cursor < queries.head_seq_query()))).all()
        due = [hook_id for hook_id, retry in behind if retry is None or retry <= now]
        later = [retry for _, retry in behind if retry is not None and retry > now]
        return due, min(later, default=None)

    # --- one webhook --------------------------------------------------------------------

    async def _deliver(self, hook_id: uuid.UUID) -> None:
        """Deliver until caught up or until an attempt fails; then let the supervisor look again."""
        try:
            async with self.db.unit_of_work() as session:
                if not await commands.claim(session, hook_id, self.owner, utcnow(), self.lease):
                    return  # another process delivers it, or it was deactivated or deleted
        except Exception:
            log.exception("could not claim webhook %s", hook_id)
            return
        try:
            await self._drain(hook_id)
        except Exception:
            log.exception("webhook %s delivery pass failed; will try again", hook_id)
        finally:
            try:
                async with self.db.unit_of_work() as session:
                    await commands.release(session, hook_id, self.owner)
            except Exception:
                log.warning("could not release webhook %s; its lease expires by itself", hook_id)
            self._wake.set()

    async def _hook(self, hook_id: uuid.UUID) -> Hook | None:
        async with self.db.read() as session:
            row = await session.scalar(select(Webhook).where(Webhook.id == hook_id))
        if row is None or not row.active or row.lease_owner != self.owner:
            return None
        return Hook(row.id, row.url, row.secret, int(row.cursor), int(row.failures),
                    rules.WebhookFilter(tuple(row.event_kinds or ()), tuple(row.record_types or ())))

    async def _drain(self, hook_id: uuid.UUID) -> None:
        renewed = time.monotonic()
        while True:
            hook = await self._hook(hook_id)
            if hook is None:
                return
            events = await outbox.page_after(self.db, hook.cursor, self.settings.webhook_batch_size)
            if not events:
                return
            if events[0].seq > hook.cursor + 1:
                log.error("webhook %s: events %d to %d were deleted by retention before delivery",
                          hook_id, hook.cursor + 1, events[0].seq - 1)
            async with self.db.read() as session:
                types = await queries.record_types(
                    session, (r for e in events for r in bodies.concerned_record_ids(e)))
            skipped = None
            for event in events:
                if not self._wanted(hook.wanted, event, types):
                    skipped = event.seq
                    continue
                if skipped is not None:
                    await self._skip(hook_id, skipped)
                    skipped = None
                if time.monotonic() - renewed > self.lease.total_seconds() / 3:
                    async with self.db.unit_of_work() as session:
                        if not await commands.claim(session, hook_id, self.owner, utcnow(), self.lease):
                            return
                    renewed = time.monotonic()
                if not await self._attempt(hook, event, types, hook.failures + 1):
                    return
                hook = Hook(hook.id, hook.url, hook.secret, event.seq, 0, hook.wanted)
            if skipped is not None:
                await self._skip(hook_id, skipped)

    @staticmethod
    def _wanted(wanted: rules.WebhookFilter, event: LogEvent, types: dict[uuid.UUID, str]) -> bool:
        if not wanted.wants_kind(event.kind):
            return False
        return wanted.wants_types(types[r] for r in bodies.concerned_record_ids(event) if r in types)

    async def _skip(self, hook_id: uuid.UUID, seq: int) -> None:
        async with self.db.unit_of_work() as session:
            await commands.skip_to(session, hook_id, self.owner, seq)

    async def _attempt(self, hook: Hook, event: LogEvent, types: dict[uuid.UUID, str], attempt: int) -> bool:
        """POST one event and log it; True when delivered and the cursor moved past it."""
        content = bodies.body(event, hook.id, types)
        status: int | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            # Resolved and checked again for every attempt: DNS may have changed since registration.
            target = await destinations.destination(hook.url, allow_private=self.settings.webhook_allow_private)
            response = await self.client.post(
                target.url, content=content, extensions=target.extensions,
                headers={**bodies.headers(hook.secret, event, content, attempt, utcnow()), **target.headers})
            status = response.status_code
            if not rules.delivered(status):
                error = f"HTTP {status}: {response.text[:200]}"
        except DomainError as refused:
            error = f"not sent: {refused}"[:500]
        except (httpx.HTTPError, OSError, UnicodeError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
        duration_ms = int((time.perf_counter() - started) * 1000)
        ok = error is None
        now = utcnow()
        retry_on = None if ok else now + timedelta(seconds=rules.backoff_seconds(
            attempt, self.settings.webhook_backoff_base_seconds, self.settings.webhook_backoff_max_seconds))
        outcome = commands.Attempt(event.seq, event.kind, attempt, status, error, duration_ms, ok)
        async with self.db.unit_of_work() as session:
            kept = await commands.record_attempt(session, hook.id, self.owner, outcome, now, retry_on)
        if ok:
            self.delivered += 1
        else:
            self.failed += 1
            log.warning("webhook %s: event %d attempt %d failed (%s); next attempt at %s",
                        hook.id, event.seq, attempt, error, retry_on.isoformat() if retry_on else "-")
        if self.on_attempt is not None:
            self.on_attempt(outcome)
        return ok and kept
