"""Customer records (SPEC §2) in one table, one mapped class per type.

Single-table inheritance: regarding records and parties of a timeline page are loaded in
one statement whatever their types, and quick find is one indexed search.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, event, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from graph.models.base import Base, Stamped, new_id
from graph.rules.duplicates import keys_of


class Record(Stamped, Base):
    __tablename__ = "records"
    __table_args__ = (
        Index(None, "type", "state", "name"),
        Index(None, "owner_id"),
        Index(None, "owning_business_unit_id"),
        # Every look-up by email ignores case (filters, mail tracking, import duplicates),
        # so the index is on lower(email): on the column itself, each look-up read all of it.
        # SQLite cannot reflect an index on an expression, so a batch migration that rebuilds
        # this table drops it silently: such a migration must create it again (a test checks).
        Index("ix_records_email_lower", func.lower(text("email"))),
        # Rich filters (R-QRY-1) on one type: name and industry, ignoring case.
        Index("ix_records_name_lower", func.lower(text("name"))),
        Index("ix_records_industry_lower", func.lower(text("industry"))),
        Index(None, "account_id"),
        Index(None, "customer_id"),
        Index(None, "parent_account_id"),
        # Duplicate rules (R-QRY-3, graph/rules/duplicates.py): one index look-up per rule.
        Index("ix_records_type_phone_key", "type", "phone_key"),
        Index("ix_records_type_mobile_key", "type", "mobile_key"),
        Index("ix_records_type_name_key", "type", "name_key"),
        # Upsert by external id (R-QRY-5): unique per type where set (NULLs never collide).
        Index("ix_records_type_external_id", "type", "external_id", unique=True),
        # The recycle bin (R-QRY-4): what was deleted when, for `deletedItems` and the purge.
        Index(None, "deleted_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(20))
    # The display name searched and sorted on: account name, contact full name, topic, title.
    name: Mapped[str] = mapped_column(String(400))
    state: Mapped[str] = mapped_column(String(20), default="ACTIVE")
    status_reason: Mapped[str | None] = mapped_column(String(40))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    owning_business_unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("business_units.id"))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    modified_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principals.id"))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    mobile_phone: Mapped[str | None] = mapped_column(String(50))
    address_line: Mapped[str | None] = mapped_column(String(400))
    city: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(100))
    # People (contacts and leads).
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    # Contact: its account. Account: none. Kept on the base so roll-up reads one column.
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))
    # Account: its parent in the account tree (EXTENDED roll-up walks it).
    parent_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))
    # Opportunity and case: the customer (an account or a contact).
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))
    # The key of this record in another system (R-QRY-5 upsert), unique per type.
    external_id: Mapped[str | None] = mapped_column(String(200))
    # Normalised copies the duplicate rules match on (graph/rules/duplicates.py), kept by
    # `set_duplicate_keys` whenever the record is written.
    phone_key: Mapped[str | None] = mapped_column(String(50))
    mobile_key: Mapped[str | None] = mapped_column(String(50))
    name_key: Mapped[str | None] = mapped_column(String(400))
    # Recycle bin (R-QRY-4): set while deleted; the read predicate hides the row.
    deleted_on: Mapped[datetime | None]
    deleted_by_id: Mapped[uuid.UUID | None]
    # Merge: the record that absorbed this one (it is INACTIVE).
    merged_into_id: Mapped[uuid.UUID | None]
    # Values of the type's custom fields (R-QRY-2), by field name; None when it has none.
    # Indexed per field by expression (graph/queries/custom_fields.py, docs/custom-fields.md).
    custom_fields: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"))

    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_abstract": True, "with_polymorphic": "*"}

    @property
    def is_active(self) -> bool:
        return self.state in ("ACTIVE", "OPEN")

    @property
    def rollup_parent_id(self) -> uuid.UUID | None:
        """The record whose timeline this one's activities roll up into (R-TL-2)."""
        return self.account_id or self.customer_id


def set_duplicate_keys(row: Record) -> None:
    """Refresh the normalised key columns from the row's values (before insert/update)."""
    values = {"phone": row.phone, "mobile_phone": row.mobile_phone, "name": row.name}
    for key, value in keys_of(row.type, values).items():
        setattr(row, key, value)


@event.listens_for(Record, "before_insert", propagate=True)
@event.listens_for(Record, "before_update", propagate=True)
def _keep_duplicate_keys(mapper: object, connection: object, row: Record) -> None:
    set_duplicate_keys(row)


class Account(Record):
    website: Mapped[str | None] = mapped_column(String(400))
    industry: Mapped[str | None] = mapped_column(String(100))
    primary_contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))

    __mapper_args__ = {"polymorphic_identity": "ACCOUNT"}


class Contact(Record):
    do_not_phone: Mapped[bool] = mapped_column(default=False)
    do_not_email: Mapped[bool] = mapped_column(default=False)
    do_not_text: Mapped[bool] = mapped_column(default=False)

    __mapper_args__ = {"polymorphic_identity": "CONTACT"}


class Lead(Record):
    topic: Mapped[str | None] = mapped_column(String(400))
    company_name: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(20))
    qualified_opportunity_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))

    __mapper_args__ = {"polymorphic_identity": "LEAD"}


class Opportunity(Record):
    estimated_revenue: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    estimated_close_date: Mapped[date | None]
    probability: Mapped[int | None]
    originating_lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))
    closed_on: Mapped[datetime | None]

    __mapper_args__ = {"polymorphic_identity": "OPPORTUNITY"}


class Case(Record):
    priority: Mapped[str | None] = mapped_column(String(10))
    origin: Mapped[str | None] = mapped_column(String(20))
    resolve_by: Mapped[datetime | None]

    __mapper_args__ = {"polymorphic_identity": "CASE"}


RECORD_CLASSES: dict[str, type[Record]] = {
    "ACCOUNT": Account,
    "CONTACT": Contact,
    "LEAD": Lead,
    "OPPORTUNITY": Opportunity,
    "CASE": Case,
}
