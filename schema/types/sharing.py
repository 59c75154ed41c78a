"""Who a record is shared with (R-ADM-6)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.types.principals import Principal


@strawberry.enum(description="What a grant allows on the one record; READ is always included.")
class AccessRight(Enum):
    READ = "read"
    WRITE = "write"
    APPEND = "append"
    ASSIGN = "assign"
    SHARE = "share"


@strawberry.type(description="One user or team the record is shared with, and what they may do with it.")
class RecordGrant:
    principal: Principal
    rights: list[AccessRight]
    granted_on: datetime
