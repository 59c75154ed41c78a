"""All tables; importing this package registers every model on `Base.metadata`."""

from graph.models.activities import Activity, ActivityParty
from graph.models.base import Base, new_id, utcnow
from graph.models.notes import Attachment, Note
from graph.models.outbox import EventTopic, IdempotencyKey, OutboxEvent
from graph.models.principals import (
    ApiToken,
    BusinessUnit,
    OrgSettings,
    Principal,
    Role,
    RolePrivilege,
    Team,
    TeamMember,
    User,
    UserRole,
)
from graph.models.records import (
    RECORD_CLASSES,
    Account,
    Case,
    Contact,
    Lead,
    Opportunity,
    Record,
)
from graph.models.timeline import TimelineCount, TimelineEntry

__all__ = [
    "RECORD_CLASSES", "Account", "Activity", "ActivityParty", "ApiToken", "Attachment", "Base",
    "BusinessUnit", "Case", "Contact", "EventTopic", "IdempotencyKey", "Lead", "Note",
    "Opportunity", "OrgSettings", "OutboxEvent", "Principal", "Record", "Role",
    "RolePrivilege", "Team", "TeamMember", "TimelineCount", "TimelineEntry", "User",
    "UserRole", "new_id", "utcnow",
]
