"""Users (R-ADM-1, R-ADM-2): the first administrator, then creating, editing, deactivating.

Users are never deleted: their history stays. Every change here bumps the security stamp,
so cached scopes, cached responses and open websockets see it on their next request or
event (a deactivated user's token stops at once: authentication only finds active users).
Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from graph.commands.organisation_log import announce
from graph.commands.setup import bump_security_stamp
from graph.commands.tokens import create_token
from graph.commands.units import active_unit, restamp_owned
from graph.models import BusinessUnit, Role, User, UserRole
from graph.rules import users as rules
from graph.rules.access import Scope
from graph.rules.errors import DomainError, ErrorCode, not_found

ROOT_UNIT_NAME = "Organisation"


@dataclass(frozen=True)
class UserDetails:
    """What an administrator sets on a user; None leaves a field as it is (on update)."""

    email: str | None = None
    full_name: str | None = None
    business_phone: str | None = None
    mobile_phone: str | None = None
    time_zone: str | None = None
    working_hours: Sequence[rules.Period] | None = None
    business_unit_id: uuid.UUID | None = None
    role_ids: Sequence[uuid.UUID] | None = None


@dataclass(frozen=True)
class FirstAdministrator:
    user: User
    token: str
    created: bool


async def first_administrator(session: AsyncSession, email: str, name: str | None,
                              now: datetime) -> FirstAdministrator:
    """R-ADM-1: the root unit if missing, the user if missing, the administrator role, a token.

    Run again for an existing user it grants the role (and issues another token)."""
    address = rules.normalise_email(email, ["email"])
    user = await _user_by_email(session, address)
    created = user is None
    if user is None:
        root = await session.scalar(select(BusinessUnit).where(BusinessUnit.parent_id.is_(None))
                                    .order_by(BusinessUnit.name).limit(1))
        if root is None:
            root = BusinessUnit(name=ROOT_UNIT_NAME, parent_id=None)
            session.add(root)
            await session.flush()
        user = User(name=rules.check_name(name or address.split("@")[0], ["name"]), email=address,
                    business_unit_id=root.id, created_on=now, time_zone="UTC", is_active=True)
        session.add(user)
        await session.flush()
    elif not user.is_active:
        raise DomainError(ErrorCode.DEACTIVATED, f"{user.name} is deactivated: activate them first")
    admin_role = await _role_id(session, rules.SYSTEM_ADMINISTRATOR)
    if await session.get(UserRole, (user.id, admin_role)) is None:
        session.add(UserRole(user_id=user.id, role_id=admin_role))
    await session.flush()
    await bump_security_stamp(session)
    await announce(session, user.id, "USER", user.id, "CREATED" if created else "ROLES_CHANGED", now=now,
                   changes=[{"field": "roles", "old": None, "new": [rules.SYSTEM_ADMINISTRATOR]}])
    return FirstAdministrator(user, await create_token(session, address, now, "relate admin create"), created)


async def just_in_time_user(session: AsyncSession, email: str, name: str | None, unit_name: str,
                            role_name: str | None, now: datetime) -> bool:
    """R-AUTH-1: someone the identity provider vouches for, unknown here, joins the configured
    unit with the configured role. False when the email is taken (an existing user, active
    or not: a deactivated person stays out)."""
    address = rules.normalise_email(email, ["email"])
    if await _user_by_email(session, address) is not None:
        return False
    unit = await session.scalar(select(BusinessUnit).where(BusinessUnit.name == unit_name,
                                                          BusinessUnit.is_active.is_(True)).limit(1))
    if unit is None:
        raise not_found(f"business unit {unit_name}")
    user = User(name=rules.check_name(name or address.split("@")[0], ["name"]), email=address,
                business_unit_id=unit.id, created_on=now, time_zone="UTC", is_active=True)
    session.add(user)
    await session.flush()
    if role_name:
        session.add(UserRole(user_id=user.id, role_id=await _role_id(session, role_name)))
    await session.flush()
    await bump_security_stamp(session)
    await announce(session, None, "USER", user.id, "CREATED", now=now)
    return True


async def create_user(session: AsyncSession, scope: Scope, details: UserDetails, now: datetime) -> User:
    scope.require_configuration()
    if details.email is None or details.full_name is None or details.business_unit_id is None:
        raise DomainError(ErrorCode.VALIDATION, "email, full name and business unit are required", ["input"])
    user = User(is_active=True, created_on=now, time_zone="UTC")
    await _apply(session, user, details)
    session.add(user)
    await session.flush()
    await _set_roles(session, user.id, details.role_ids or ())
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "USER", user.id, "CREATED", now=now, changes=_roles_change(details))
    return user


async def update_user(session: AsyncSession, scope: Scope, user_id: uuid.UUID, details: UserDetails,
                      now: datetime) -> User:
    scope.require_configuration()
    user = await _user(session, user_id)
    await _apply(session, user, details)
    if details.role_ids is not None:
        await _set_roles(session, user.id, details.role_ids)
        await require_an_administrator(session)
    await session.flush()
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "USER", user.id, "UPDATED", now=now, changes=_roles_change(details))
    return user


async def set_user_active(session: AsyncSession, scope: Scope, user_id: uuid.UUID, active: bool,
                          now: datetime) -> User:
    """Deactivating stops the user's tokens and sessions on their next request or event."""
    scope.require_configuration()
    user = await _user(session, user_id)
    if user.is_active == active:
        state = "active" if active else "deactivated"
        raise DomainError(ErrorCode.INVALID_STATE, f"{user.name} is already {state}", ["input", "id"])
    user.is_active = active
    await session.flush()
    if not active:
        await require_an_administrator(session, ["input", "id"])
    await bump_security_stamp(session)
    await announce(session, scope.user_id, "USER", user.id, "ACTIVATED" if active else "DEACTIVATED", now=now)
    return user


def _roles_change(details: UserDetails) -> list[dict[str, object]] | None:
    if details.role_ids is None:
        return None
    return [{"field": "roleIds", "old": None, "new": sorted(str(r) for r in details.role_ids)}]


async def _apply(session: AsyncSession, user: User, details: UserDetails) -> None:
    """Check every field given, then set them all: a bad one changes nothing."""
    field = ("input",)
    if details.email is not None:
        email = rules.normalise_email(details.email, [*field, "email"])
        other = await _user_by_email(session, email)
        if other is not None and other.id != user.id:
            raise DomainError(ErrorCode.DUPLICATE, f"{email} is already the email of {other.name}",
                              [*field, "email"])
        user.email = email
    if details.full_name is not None:
        user.name = rules.check_name(details.full_name, [*field, "fullName"])
    if details.business_phone is not None:
        user.business_phone = rules.check_phone(details.business_phone, [*field, "businessPhone"])
    if details.mobile_phone is not None:
        user.mobile_phone = rules.check_phone(details.mobile_phone, [*field, "mobilePhone"])
    if details.time_zone is not None:
        user.time_zone = rules.check_time_zone(details.time_zone, [*field, "timeZone"])
    if details.working_hours is not None:
        user.working_hours = rules.working_hours(details.working_hours, [*field, "workingHours"]) or None
    if details.business_unit_id is not None and details.business_unit_id != user.business_unit_id:
        await active_unit(session, details.business_unit_id, (*field, "businessUnitId"))
        user.business_unit_id = details.business_unit_id
        if user.id is not None:  # an existing user: what they own moves with them (R-ADM-3)
            await restamp_owned(session, user.id, details.business_unit_id)


async def _set_roles(session: AsyncSession, user_id: uuid.UUID, role_ids: Sequence[uuid.UUID]) -> None:
    wanted = set(role_ids)
    found = set((await session.scalars(select(Role.id).where(Role.id.in_(wanted)))).all()) if wanted else set()
    if missing := wanted - found:
        raise DomainError(ErrorCode.NOT_FOUND, f"{len(missing)} of the roles were not found", ["input", "roleIds"])
    await session.execute(delete(UserRole).where(UserRole.user_id == user_id))
    session.add_all(UserRole(user_id=user_id, role_id=r) for r in sorted(wanted))
    await session.flush()


async def require_an_administrator(session: AsyncSession, field: Sequence[str] | None = None) -> None:
    remaining = await session.scalar(
        select(func.count()).select_from(UserRole)
        .join(Role, Role.id == UserRole.role_id).join(User, User.id == UserRole.user_id)
        .where(Role.name == rules.SYSTEM_ADMINISTRATOR, User.is_active.is_(True))
    )
    rules.check_keeps_an_administrator(int(remaining or 0), field)


async def _user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("user", ["input", "id"])
    return user


async def _user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email))


async def _role_id(session: AsyncSession, name: str) -> uuid.UUID:
    role_id = await session.scalar(select(Role.id).where(Role.name == name))
    if role_id is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"no role named {name}: run `relate migrate` first")
    return role_id
