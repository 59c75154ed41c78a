"""The Query root: binds each field to its resolver in `resolvers/`."""

from __future__ import annotations

import strawberry

from resolvers import audit as audit_resolvers
from resolvers import custom_fields as custom_field_resolvers
from resolvers import metadata as metadata_resolvers
from resolvers import activity_pages, nodes, records
from resolvers import reports as report_resolvers
from resolvers import sales as sales_resolvers
from resolvers import notes as notes_resolvers
from resolvers import timeline as timeline_resolvers
from resolvers import tracking as tracking_resolvers
from resolvers import work_list as work_list_resolvers
from subscriptions import resolvers as live_resolvers
from resolvers import webhooks as webhook_resolvers
from resolvers import users as user_resolvers
from resolvers import organisation as organisation_resolvers
from resolvers import sharing as sharing_resolvers
from resolvers import recycle_bin as recycle_resolvers
from resolvers import duplicates as duplicate_resolvers
from schema.types.duplicates import DuplicateMatch
from schema.types.recycle_bin import DeletedItem
from resolvers import self_service as self_service_resolvers
from schema.types.tokens import ApiToken
from schema.types.sharing import RecordGrant
from schema.types.webhooks import Webhook, WebhookDelivery
from schema.types.activities import Activity, ActivityCounts
from schema.types.audit import AuditEntry
from schema.types.connection import Connection
from schema.types.node import Node
from schema.types.notes import AttachmentPolicy
from schema.types.principals import BusinessUnit, Role, Team, User, Viewer
from schema.types.custom_fields import CustomFieldDefinition
from schema.types.metadata import RecordTypeInfo
from schema.types.records import Account, Contact, Record
from schema.types.reports import ActivityReport, PipelineReport
from schema.types.sales import Case, Lead, Opportunity
from schema.types.timeline import TimelineConnection
from schema.types.tracking import LinkSuggestions
from schema.types.work_list import Sequence, UpNext, WorkListEntry


@strawberry.type
class Query:
    viewer: Viewer = strawberry.field(resolver=nodes.viewer, description="The signed-in user.")
    node: Node | None = strawberry.field(resolver=nodes.node, description="Anything by global id; null if missing or not yours to read.")
    nodes: list[Node | None] = strawberry.field(resolver=nodes.nodes, description="Several objects by global id, in the order asked.")
    accounts: Connection[Account] = strawberry.field(resolver=records.accounts)
    duplicates: list[DuplicateMatch] = strawberry.field(
        resolver=duplicate_resolvers.duplicates,
        description="Likely duplicates of an account, contact or lead by the built-in rules (R-QRY-3), among "
                    "the records you may read.",
    )
    deleted_items: list[DeletedItem] = strawberry.field(
        resolver=recycle_resolvers.deleted_items,
        description="The recycle bin (R-QRY-4): deleted records and activities you may read, latest first, "
                    "until they are purged.",
    )
    contacts: Connection[Contact] = strawberry.field(resolver=records.contacts)
    leads: Connection[Lead] = strawberry.field(
        resolver=sales_resolvers.leads, description="Open leads; `includeInactive` adds qualified and disqualified ones."
    )
    opportunities: Connection[Opportunity] = strawberry.field(
        resolver=sales_resolvers.opportunities, description="Open opportunities; `includeInactive` adds won and lost ones."
    )
    cases: Connection[Case] = strawberry.field(
        resolver=sales_resolvers.cases, description="Active cases; `includeInactive` adds resolved and canceled ones."
    )
    record_types: list[RecordTypeInfo] = strawberry.field(
        resolver=metadata_resolvers.record_types,
        description="Display names of the five record types, as an administrator renamed them (R-REC-3).",
    )
    custom_field_definitions: list[CustomFieldDefinition] = strawberry.field(
        resolver=custom_field_resolvers.custom_field_definitions,
        description="The custom fields of a record type (or of every type), in the order they were defined "
                    "(R-QRY-2); `includeRetired` adds retired ones.",
    )
    activity_report: ActivityReport = strawberry.field(
        resolver=report_resolvers.activity_report,
        description="Counts of the activities you may read by type, state, owner and period (R-RPT-1).",
    )
    pipeline_report: PipelineReport = strawberry.field(
        resolver=report_resolvers.pipeline_report,
        description="Sums of the opportunities you may read by state and estimated close month (R-RPT-1).",
    )
    activities: Connection[Activity] = strawberry.field(
        resolver=activity_pages.activities,
        description="My activities (R-VIEW-1): yours unless the filter says otherwise, soonest due first.",
    )
    activity_counts: ActivityCounts = strawberry.field(
        resolver=activity_pages.activity_counts,
        description="How many activities the same filter matches, by type and by state (R-VIEW-1).",
    )
    live_cursor: str = strawberry.field(
        resolver=live_resolvers.live_cursor,
        description="The live-update cursor of now: read it before loading a view, then subscribe with "
                    "it as `after` and miss nothing in between (R-LIVE-2).",
    )
    quick_find: list[Record] = strawberry.field(
        resolver=records.quick_find,
        description="One search over names, emails and phone numbers of every record you may read (R-REC-4).",
    )
    attachment_policy: AttachmentPolicy = strawberry.field(
        resolver=notes_resolvers.attachment_policy,
        description="The largest attachment and the refused file types (R-ATT-1).",
    )
    timeline: TimelineConnection | None = strawberry.field(
        resolver=timeline_resolvers.timeline,
        description="A record's activities and notes, newest first, with roll-up, filters and counts "
                    "(R-TL-1, R-TL-2). A missing or unreadable record is a NOT_FOUND error.",
    )
    link_suggestions: LinkSuggestions = strawberry.field(
        resolver=tracking_resolvers.link_suggestions,
        description="Who the addresses of an email or meeting are, and the accounts, open opportunities and "
                    "cases related to them, to link it to (R-TRACK-1).",
    )
    tracked_activity: Activity | None = strawberry.field(
        resolver=tracking_resolvers.tracked_activity,
        description="The saved email (by messageId) or meeting (by icalUid); null if not saved or not yours to read.",
    )
    work_list: Connection[WorkListEntry] = strawberry.field(
        resolver=work_list_resolvers.work_list,
        description="Your work list (R-WL-1): records with an open step or an open activity due, each with its "
                    "current item, soonest due first, then highest priority.",
    )
    up_next: UpNext = strawberry.field(
        resolver=work_list_resolvers.up_next,
        description="Up next for one record (R-WL-2): the current step, the steps after it, the completed and "
                    "skipped ones. A missing or unreadable record is a NOT_FOUND error.",
    )
    sequences: list[Sequence] = strawberry.field(
        resolver=work_list_resolvers.sequences, description="Sequence definitions by name (R-SEQ-1).",
    )
    webhooks: list[Webhook] = strawberry.field(
        resolver=webhook_resolvers.webhooks,
        description="Administrators only: the registered webhooks (R-LIVE-6).",
    )
    webhook_deliveries: Connection[WebhookDelivery] = strawberry.field(
        resolver=webhook_resolvers.webhook_deliveries,
        description="Administrators only: a webhook's delivery log, newest attempt first (R-LIVE-6).",
    )
    users: Connection[User] = strawberry.field(
        resolver=user_resolvers.users,
        description="The organisation's people by name, active and deactivated (R-ADM-2); filters narrow it.",
    )
    roles: list[Role] = strawberry.field(
        resolver=user_resolvers.roles, description="The security roles, built-in and custom, by name (R-ADM-5).",
    )
    business_units: list[BusinessUnit] = strawberry.field(
        resolver=organisation_resolvers.business_units,
        description="Every business unit, active or not, by name; `parent` gives the tree (R-ADM-3).",
    )
    teams: list[Team] = strawberry.field(
        resolver=organisation_resolvers.teams, description="Every team by name, with members and roles (R-ADM-4).",
    )
    record_access: list[RecordGrant] = strawberry.field(
        resolver=sharing_resolvers.record_access,
        description="Who a record you may read is shared with, and their rights (R-ADM-6).",
    )
    my_tokens: list[ApiToken] = strawberry.field(
        resolver=self_service_resolvers.my_tokens,
        description="Your active bearer tokens, newest first: label and creation time, never the secret (R-AUTH-2).",
    )
    audit_trail: Connection[AuditEntry] = strawberry.field(
        resolver=audit_resolvers.audit_trail,
        description="Administrators only: who changed which field of a record, activity or note, when, "
                    "old → new; newest first.",
    )
