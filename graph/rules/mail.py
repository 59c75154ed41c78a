"""Email rules (R-MAIL-1, R-MAIL-2): recipients' addresses and preferences, send times.

Pure: the command resolves who the recipients are; these functions say what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import make_msgid

from graph.rules.activities import Reachable
from graph.rules.errors import DomainError, ErrorCode, Problem
from graph.rules.tracking import normalise_message_id

RECIPIENT_ROLES = ("TO", "CC", "BCC")
# The right-hand side of the Message-IDs Relate makes, unless configured otherwise.
DEFAULT_MESSAGE_ID_DOMAIN = "relate.localhost"
# How far ahead an email can be scheduled: further than this is almost surely a typo.
MAX_SCHEDULE_AHEAD = timedelta(days=366)
# After a failed delivery the next try waits this long, doubling, up to the cap.
RETRY_FIRST = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)


def check_recipients(recipients: Sequence[tuple[Reachable, tuple[str, ...]]], acknowledged: bool) -> None:
    """R-MAIL-1: each recipient needs an email address (MISSING_CONTACT_POINT, naming the
    person: no confirmation can fix that); someone who asked for no email (`doNotEmail`)
    gets a warning first (CONFIRMATION_REQUIRED), as `doNotPhone` does for calls."""
    missing = [Problem(ErrorCode.MISSING_CONTACT_POINT,
                       f"{who.name} has no email address: add one, or send to an address instead", path)
               for who, path in recipients if not (who.email or "").strip()]
    if missing:
        raise DomainError(problems=missing)
    if acknowledged:
        return
    refusing = [who.name for who, _ in recipients if who.do_not_email]
    if refusing:
        raise DomainError(ErrorCode.CONFIRMATION_REQUIRED,
                          f"{', '.join(refusing)} does not want email; repeat with acknowledgeWarnings: true "
                          "to go ahead", ("input", "acknowledgeWarnings"))


def check_send_at(send_at: datetime, now: datetime, field: tuple[str, ...] = ("input", "sendAt")) -> datetime:
    """R-MAIL-2: a send time is in the future (omit it to send now), within a year."""
    if send_at <= now:
        raise DomainError(ErrorCode.VALIDATION, "sendAt must be in the future; omit it to send now", field)
    if send_at - now > MAX_SCHEDULE_AHEAD:
        raise DomainError(ErrorCode.VALIDATION, "an email can be scheduled at most a year ahead", field)
    return send_at


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before trying a failed delivery again, after `attempts` tries."""
    delay = RETRY_FIRST * (2 ** max(attempts - 1, 0))
    return min(delay, RETRY_CAP)


# Message ids (R-MAIL-1, R-TRACK-2, R-TRACK-5) have one stored form: the id without its
# angle brackets, as tracking has always stored them. Input may come with or without
# them; the brackets are put back only on the wire (the Message-ID and In-Reply-To
# headers), so a customer's reply naming `<id>` finds the email it answers.

def stored_message_id(raw: str | None) -> str | None:
    """The stored form of a message id given with or without angle brackets."""
    return normalise_message_id(raw)


def new_message_id(domain: str = DEFAULT_MESSAGE_ID_DOMAIN) -> str:
    """A fresh, globally unique id in the stored form; every email Relate sends has one."""
    return make_msgid(domain=domain).strip("<>")


def wire_message_id(stored: str) -> str:
    """The id as a Message-ID or In-Reply-To header carries it: in angle brackets."""
    return f"<{stored_message_id(stored) or stored}>"
