"""How a mutation that sends email reaches the scheduled-send scheduler (R-MAIL-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from graph.rules.mail import DEFAULT_MESSAGE_ID_DOMAIN
from resolvers.context import Info


def scheduler_of(info: Info) -> Any:
    """The app's scheduler, if this app runs one (an app whose lifespan never ran does not)."""
    state = getattr(getattr(info.context.request, "app", None), "state", None)
    return getattr(state, "scheduler", None)


def email_delivery(info: Info, send_at: datetime | None) -> bool:
    """True when an email sent now must be queued for the scheduler (its sender delivers
    outside Relate, e.g. SMTP: a mutation never waits on a mail server). A queued or
    scheduled email wakes the scheduler once the mutation has committed."""
    scheduler = scheduler_of(info)
    queued = scheduler is not None and scheduler.delivers_outside
    if scheduler is not None and (queued or send_at is not None):
        info.context.after_commit.append(scheduler.kick_after_commit)
    return queued


def message_id_domain(info: Info) -> str:
    """The domain of the Message-IDs this app makes (`RELATE_MAIL_MESSAGE_ID_DOMAIN`)."""
    settings = getattr(scheduler_of(info), "settings", None)
    return getattr(settings, "message_id_domain", None) or DEFAULT_MESSAGE_ID_DOMAIN
