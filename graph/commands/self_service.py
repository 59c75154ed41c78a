"""Self-service (R-AUTH-2): a signed-in user's own phones, time zone, working hours and tokens.

Only the viewer's own row and tokens are reachable from here: no id to pass, no one
else's data to reach. A token's secret leaves the server once, when it is made.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.organisation_log import announce
from graph.commands.setup import bump_security_stamp
from graph.models import ApiToken, User
from graph.rules import users as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, not_found
from graph.rules.records import unusable_text
from graph.rules.tokens import new_token, token_digest


async def update_my_profile(session: AsyncSession, scope: Scope, *, business_phone: str | None,
                            mobile_phone: str | None, time_zone: str | None,
                            working_hours: Sequence[rules.Period] | None) -> User:
    """Omitted fields stay; an empty phone clears it; an empty list of hours means unconstrained."""
    user = await session.get(User, scope.user_id)
    if user is None:
        raise not_found("user")
    field = ("input",)
    if business_phone is not None:
        user.business_phone = rules.check_phone(business_phone, [*field, "businessPhone"])
    if mobile_phone is not None:
        user.mobile_phone = rules.check_phone(mobile_phone, [*field, "mobilePhone"])
    if time_zone is not None:
        user.time_zone = rules.check_time_zone(time_zone, [*field, "timeZone"])
    if working_hours is not None:
        user.working_hours = rules.working_hours(working_hours, [*field, "workingHours"]) or None
    await session.flush()
    await bump_security_stamp(session)  # cached answers show the user's details
    await announce(session, scope.user_id, "USER", user.id, "UPDATED")
    return user


async def my_tokens(session: AsyncSession, scope: Scope) -> list[ApiToken]:
    rows = await session.scalars(select(ApiToken).where(ApiToken.user_id == scope.user_id,
                                                        ApiToken.revoked_on.is_(None))
                                 .order_by(ApiToken.created_on.desc(), ApiToken.id))
    return list(rows.all())


async def create_my_token(session: AsyncSession, scope: Scope, label: str | None, now: datetime) -> tuple[ApiToken, str]:
    text = (label or "").strip() or None
    if text is not None and (why := unusable_text(text, 100)):
        raise DomainError(ErrorCode.VALIDATION, f"label {why}", ["input", "label"])
    secret = new_token()
    row = ApiToken(user_id=scope.user_id, token_hash=token_digest(secret), label=text, created_on=now)
    session.add(row)
    await session.flush()
    return row, secret


async def revoke_my_token(session: AsyncSession, scope: Scope, token_id: uuid.UUID, now: datetime) -> None:
    """Someone else's token id is answered like a missing one."""
    done = await session.execute(update(ApiToken).where(
        ApiToken.id == token_id, ApiToken.user_id == scope.user_id, ApiToken.revoked_on.is_(None),
    ).values(revoked_on=now))
    if not done.rowcount:  # type: ignore[attr-defined]
        raise not_found("token", ["input", "id"])
