"""Users, teams, business units, roles and tokens (SPEC §1).

Users and teams share one `principals` table (single-table inheritance) because both own
records: an owner is one foreign key, and loading the owners of a page is one statement.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import Base, new_id


class BusinessUnit(Base):
    __tablename__ = "business_units"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("business_units.id"))
    # A deactivated unit takes no new users or teams; it has none active (R-ADM-3).
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())


class Principal(Base):
    __tablename__ = "principals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    business_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("business_units.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_on: Mapped[datetime]

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_abstract": True, "with_polymorphic": "*"}


class User(Principal):
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    business_phone: Mapped[str | None] = mapped_column(String(50))
    mobile_phone: Mapped[str | None] = mapped_column(String(50))
    time_zone: Mapped[str | None] = mapped_column(String(64), default="UTC")
    # {"MONDAY": ["09:00", "17:00"], ...}; a weekday missing means not working that day.
    working_hours: Mapped[dict[str, Any] | None] = mapped_column()

    __mapper_args__ = {"polymorphic_identity": "user"}

    @property
    def full_name(self) -> str:
        return self.name


class Team(Principal):
    __mapper_args__ = {"polymorphic_identity": "team"}


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"), primary_key=True)


class Role(Base):
    __tablename__ = "roles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class RolePrivilege(Base):
    __tablename__ = "role_privileges"

    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id"), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    action: Mapped[str] = mapped_column(String(20), primary_key=True)
    depth: Mapped[str] = mapped_column(String(30))


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"), primary_key=True)
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id"), primary_key=True)


class TeamRole(Base):
    """A team's roles: they apply to its members on what the team owns (R-ADM-4)."""

    __tablename__ = "team_roles"

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"), primary_key=True)
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id"), primary_key=True)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, so a leaked table grants nothing."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("token_hash"), Index(None, "user_id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    token_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(100))
    created_on: Mapped[datetime]
    revoked_on: Mapped[datetime | None]


class OrgSettings(Base):
    """The organisation's one row of settings.

    `security_stamp` changes whenever roles, teams, units or memberships change, so each
    process can cache a viewer's scope and still see such a change on the next request.
    """

    __tablename__ = "org_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    security_stamp: Mapped[int] = mapped_column(default=1)
    attachment_max_bytes: Mapped[int] = mapped_column(default=10 * 1024 * 1024)
    attachment_blocked_extensions: Mapped[list[str]] = mapped_column(default=list)
    record_type_names: Mapped[dict[str, Any]] = mapped_column(default=dict)
