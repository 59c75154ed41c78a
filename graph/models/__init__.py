"""All tables; importing this package registers every model on `Base.metadata`."""

from graph.models.activities import Activity, ActivityParty
from graph.models.audit import AuditEntry
from graph.models.custom_fields import CustomFieldDefinition
from graph.models.base import Base, new_id, utcnow
from graph.models.mail import EmailSend
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
    TeamRole,
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
from graph.models.sharing import RecordGrant
from graph.models.sequences import RecordSequence, RecordStep, Sequence, SequenceStep
from graph.models.timeline import TimelineCount, TimelineEntry
from graph.models.webhooks import Webhook, WebhookDelivery

__all__ = [
    "RECORD_CLASSES", "Account", "Activity", "ActivityParty", "ApiToken", "Attachment", "AuditEntry", "Base",
    "BusinessUnit", "Case", "Contact", "CustomFieldDefinition", "EmailSend", "EventTopic", "IdempotencyKey", "Lead", "Note",
    "Opportunity", "OrgSettings", "OutboxEvent", "Principal", "Record", "RecordGrant", "RecordSequence",
    "RecordStep", "Role", "RolePrivilege", "Sequence", "SequenceStep", "Team", "TeamMember", "TeamRole",
    "TimelineCount", "TimelineEntry", "User", "UserRole", "Webhook", "WebhookDelivery", "new_id", "utcnow",
]
