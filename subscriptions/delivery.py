"""How far one subscription's client has been sent: the cursor to give it when it is cut off.

A stream knows what it has handed over, not what reached the socket: an event is handed to
Strawberry, which renders it and only then writes it, so when a socket stops taking data
the event in hand has not been delivered. The websocket handler keeps one `Progress` per
operation and makes it current for the operation's task (a context variable, so the
resolvers need no extra argument); the stream says where it starts and which event it is
handing over, the handler says when a message was written. `SLOW_CONSUMER` then carries
the cursor of the last event written, and resuming from it repeats nothing and loses nothing.
"""

from __future__ import annotations

from contextvars import ContextVar


class Progress:
    """The seq of the last event written to the socket (or where the stream started)."""

    __slots__ = ("written", "splits_pages", "_in_hand")

    def __init__(self, *, splits_pages: bool = False) -> None:
        self.written: int | None = None
        # The socket sends a rendered page as one message per event, announcing each
        # (subscriptions/websocket.py); elsewhere streams yield their events one by one.
        self.splits_pages = splits_pages
        self._in_hand: int | None = None

    def starts_after(self, seq: int) -> None:
        if self.written is None:
            self.written = seq

    def handing_over(self, seq: int) -> None:
        self._in_hand = seq

    def message_written(self) -> None:
        if self._in_hand is not None:
            self.written, self._in_hand = self._in_hand, None


_current: ContextVar[Progress | None] = ContextVar("relate_live_progress", default=None)


def track(progress: Progress) -> None:
    """Make `progress` the one the current task's stream reports to."""
    _current.set(progress)


def current() -> Progress:
    """The current operation's progress; outside a websocket operation, one nobody reads."""
    return _current.get() or Progress()
