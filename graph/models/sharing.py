"""Records shared with one user or team (R-ADM-6, Dataverse GrantAccess).

Read by the one read predicate as an EXISTS on the primary key (record, principal) and
by grantee through the (principal, record) index, so lists stay one statement.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import Base


class RecordGrant(Base):
    __tablename__ = "record_grants"
    __table_args__ = (Index(None, "principal_id", "record_id"),)

    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("records.id"), primary_key=True)
    principal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"), primary_key=True)
    can_read: Mapped[bool] = mapped_column(default=True)
    can_write: Mapped[bool] = mapped_column(default=False)
    can_append: Mapped[bool] = mapped_column(default=False)
    can_assign: Mapped[bool] = mapped_column(default=False)
    can_share: Mapped[bool] = mapped_column(default=False)
    granted_on: Mapped[datetime]
    granted_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
