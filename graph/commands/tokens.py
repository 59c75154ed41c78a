"""Issuing and revoking bearer tokens (SPEC §1): stored hashed, shown once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from graph.models import ApiToken, User
from graph.rules.errors import DomainError, ErrorCode
from graph.rules.tokens import new_token, token_digest


async def create_token(session: AsyncSession, email: str, now: datetime, label: str | None = None) -> str:
    user = await session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"no user with email {email}")
    if not user.is_active:
        raise DomainError(ErrorCode.DEACTIVATED, f"{user.name} is deactivated")
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_hash=token_digest(token), label=label, created_on=now))
    return token


async def revoke_token(session: AsyncSession, token_or_id: str, now: datetime) -> int:
    """Revoke one token, given the token itself or its id; returns how many were revoked."""
    condition = ApiToken.token_hash == token_digest(token_or_id)
    try:
        condition = condition | (ApiToken.id == uuid.UUID(token_or_id))
    except ValueError:
        pass
    result = await session.execute(
        update(ApiToken).where(condition, ApiToken.revoked_on.is_(None)).values(revoked_on=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
