"""The authorization matrix (SPEC §1, R-SEC-1, R-LIVE-4): every query, mutation, `node` type
and subscription of the live schema × the three built-in roles and a user with no role ×
five ownerships (own, my team's, my unit's, a child unit's, another unit's).

The expectations come from `EXPECTED`, an explicit table written from SPEC §1, not from
`graph/rules/access.py`. Each operation of the schema is classified in `operations()` by what
it does to its target; an operation that is not classified fails the test ("unclassified
operation X"), so a new one cannot pass unchecked.

Verdicts per case:
- allow: the operation succeeds (no error, `ok` for bulk results);
- forbid: the target is readable but the action is not allowed: FORBIDDEN;
- hide: the target is not readable: the response is identical, ids aside, to the one for
  an id that names nothing (no data, no name, no count, no "exists but…").
Lists, counts and reports check for each ownership that the target is there exactly when
it is readable. Each (operation variant × viewer × ownership) check is one case; the total
is printed. With PostgreSQL configured (as in CI), PostgreSQL runs every operation and SQLite
the reads (see `full_matrix`).

`test_r_adm_5_6_custom_role_and_sharing_have_no_leak` runs the same machinery for a custom
role (R-ADM-5) and shared records (R-ADM-6): see `matrix_world` for its viewers and the
three sharing ownerships, and `GRANTED` for what a grant adds to a role's verdict.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.db import Database
from schema.build import build_schema
from server.app import create_app
from resolvers.ids import to_global_id
from tests.support.client import Api
from tests.support.databases import test_settings as app_settings
from tests.support.ws import StreamEnded, serve, ws_connect
from tests.security.matrix_world import (
    CUSTOM_VIEWERS, END, OWNERSHIPS, SHARINGS, START, VIEWERS, Cases, Factory, Target, World, build_world, missing_like,
    post_file,
)

# --- the independent expectation table (SPEC §1) --------------------------------------------

NONE, USER, UNIT, DEEP, ORG = "NONE", "USER", "BUSINESS_UNIT", "BUSINESS_UNIT_DEEP", "ORGANIZATION"
# Which ownerships each depth reaches, for a viewer in unit Sales who is in the team. A
# sharing ownership's owner is in Service, like `other`'s.
REACH = {NONE: set(), USER: {"own", "team"}, UNIT: {"own", "team", "unit"}, DEEP: {"own", "team", "unit", "child"},
         ORG: {*OWNERSHIPS, *SHARINGS}}
# What a sharing ownership's grant allows the viewer on top of their roles (R-ADM-6): a
# grant always includes read; `unshared` was granted read and revoked.
GRANTED: dict[str, set[str]] = {"shared_read": {"read"}, "shared_write": {"read", "write"}, "unshared": set()}
# SPEC §1: salesperson reads the organisation and writes/assigns/deletes (and creates) its
# own; sales_manager reads the organisation and writes/assigns BUSINESS_UNIT_DEEP; the
# administrator does everything, plus configuration. Appending an activity or note to a
# record needs only to read it (a seller logs a call on a colleague's account), as the
# anchor products do. No role: nothing.
EXPECTED: dict[str, dict[str, str]] = {
    "admin": {"read": ORG, "create": ORG, "write": ORG, "assign": ORG, "delete": ORG, "append": ORG, "config": ORG},
    "manager": {"read": ORG, "create": DEEP, "write": DEEP, "assign": DEEP, "delete": DEEP, "append": ORG,
                "config": NONE},
    "sales": {"read": ORG, "create": USER, "write": USER, "assign": USER, "delete": USER, "append": ORG,
              "config": NONE},
    "norole": {a: NONE for a in ("read", "create", "write", "assign", "delete", "append", "config")},
    # R-ADM-5: a copy of salesperson whose reads stop at the holder's own unit (Sales West,
    # below it, is out of reach), unlike every built-in role.
    "custom": {"read": UNIT, "create": USER, "write": USER, "assign": USER, "delete": USER, "append": ORG,
               "config": NONE},
}
# Sequence definitions are a sales manager's tool (R-SEQ-1).
DEFINES_SEQUENCES = {"admin", "manager"}


def verdict(viewer: str, action: str, ownership: str | None) -> str:
    table = EXPECTED[viewer]
    if action == "self":
        return "allow"
    if action == "config":
        return "allow" if table["config"] == ORG else "forbid"
    if action == "define":
        return "allow" if viewer in DEFINES_SEQUENCES else "forbid"
    assert ownership is not None
    if action == "create":  # a new row owned by the ownership's owner: no read needed first
        return "allow" if ownership in REACH[table["create"]] else "forbid"
    granted = GRANTED.get(ownership, set())
    if ownership not in REACH[table["read"]] and "read" not in granted:
        return "hide"
    if action == "read":
        return "allow"
    if action == "reply":  # an inbound text lands on the conversation's owner: create for them
        return "allow" if ownership in REACH[table["create"]] else "forbid"
    return "allow" if ownership in REACH[table[action]] or action in granted else "forbid"


# --- the operations ---------------------------------------------------------------------------


@dataclass
class Case:
    world: World
    viewer: str
    ownership: str | None
    target: Target | None

    @property
    def t(self) -> str:
        assert self.target is not None
        return self.target.id

    @property
    def key(self) -> str | None:
        return self.target.key if self.target else None

    @property
    def owner(self) -> str:
        assert self.ownership is not None
        return self.world.owner_gid(self.viewer, self.ownership)

    @property
    def me(self) -> str:
        return self.world.user_gid(self.viewer)


@dataclass
class Op:
    """One checked use of a root field. `kind`: mutation, query, list, subscription, upload."""

    field: str
    variant: str
    kind: str
    action: str
    target: str | None = None
    build: Callable[[Case], Any] = lambda c: {}
    ok: frozenset[str] = frozenset()
    selection: str = ""
    document: str = ""
    # Lists: the ids the response shows (or a count) for the case's ownership.
    shows: Callable[[Any, Case], bool] | None = None
    per_ownership: bool = True

    @property
    def name(self) -> str:
        return f"{self.field}[{self.variant}]" if self.variant else self.field


def M(field: str, action: str, target: str | None, build: Callable[[Case], dict[str, Any]], variant: str = "",
      ok: tuple[str, ...] = (), selection: str = "", per_ownership: bool = True) -> Op:
    return Op(field, variant, "mutation", action, target, build, frozenset(ok), selection, per_ownership=per_ownership)


def Q(field: str, action: str, target: str | None, document: str, build: Callable[[Case], dict[str, Any]],
      variant: str = "", per_ownership: bool = True) -> Op:
    return Op(field, variant, "query", action, target, build, document=document, per_ownership=per_ownership)


def L(field: str, target: str, document: str, build: Callable[[Case], dict[str, Any]],
      shows: Callable[[Any, Case], bool], variant: str = "") -> Op:
    return Op(field, variant, "list", "read", target, build, document=document, shows=shows)


def S(field: str, target: str | None, document: str, variant: str = "", action: str = "read") -> Op:
    return Op(field, variant, "subscription", action, target, document=document, per_ownership=target is not None)


def admin_op(field: str, build: Callable[[Case], dict[str, Any]], selection: str = "") -> Op:
    """An administration mutation: configuration rights, no record ownership involved."""
    return M(field, "config", None, build, per_ownership=False, selection=selection)


def mine(case: Case, kind: str) -> str:
    """The viewer's own target of an administration mutation (see `admin_targets`)."""
    return case.world.shared[f"{kind}:{case.viewer}"]


def edge_ids(data: Any) -> set[str]:
    return {e["node"].get("id") for e in data["edges"]}


def contains(case: Case, data: Any) -> bool:
    return case.t in edge_ids(data)


# Operations whose allowed effect would change what a later operation sees on the same
# target (owner, state, existence) get targets of their own; the others share one set.
STATE_CHANGING = frozenset({
    "changeOwner", "deactivateRecord", "activateRecord", "qualifyLead", "disqualifyLead", "closeOpportunity",
    "resolveCase", "cancelCase", "completeActivities", "cancelActivities", "reopenActivity", "assignActivities",
    "deleteNote", "deleteTrackedActivity", "removeAttachment", "connectSequence", "pauseSequence",
    "resumeSequence", "disconnectSequence", "completeStep", "skipStep", "snoozeStep", "assignStep",
    "callFromStep", "emailFromStep", "textFromStep", "deleteRecords", "deleteActivities", "restore",
})
RECYCLED = "results { ok error { code message field } }"
RECORD_KINDS = {"account": "Account", "contact": "Contact", "lead": "Lead", "opportunity": "Opportunity", "case": "Case"}
ACTIVITY_KINDS = ("task", "phone_call", "email", "appointment", "text_message")
BULK = "results { ok error { code message field } activity { id } }"
LIST = "query($f: {filter}, $first: Int) {{ {field}(filter: $f, first: $first) {{ totalCount edges {{ node {{ id }} }} }} }}"
NODE_TARGETS = {"Account": "account", "Contact": "contact", "Lead": "lead", "Opportunity": "opportunity",
                "Case": "case", "Task": "task", "PhoneCall": "phone_call", "Email": "email",
                "Appointment": "appointment", "TextMessage": "text_message", "Note": "note",
                "Attachment": "attachment", "User": "principal", "Team": "principal", "Sequence": "sequence",
                "BusinessUnit": "principal", "Role": "principal"}


def record_list(field: str, filter_type: str, kind: str) -> Op:
    return L(field, kind, LIST.format(filter=filter_type, field=field), lambda c: {"first": 500},
             lambda data, c: contains(c, data))


def operations() -> dict[str, list[Op]]:
    """Every root field, classified. The matrix fails on a field missing here."""
    ops: dict[str, list[Op]] = {
        # --- queries ---
        "viewer": [Q("viewer", "self", None, "{ viewer { user { id } roles } }", lambda c: {})],
        "node": [],  # one variant per Node type, added below from the live schema
        "nodes": [Q("nodes", "read", "account", "query($id: ID!) { nodes(ids: [$id]) { id } }", lambda c: {"id": c.t})],
        "accounts": [record_list("accounts", "AccountFilter", "account")],
        "contacts": [record_list("contacts", "ContactFilter", "contact")],
        "leads": [record_list("leads", "LeadFilter", "lead")],
        "opportunities": [record_list("opportunities", "OpportunityFilter", "opportunity")],
        "cases": [record_list("cases", "CaseFilter", "case")],
        "recordTypes": [Q("recordTypes", "self", None, "{ recordTypes { singular } }", lambda c: {})],
        "activityReport": [L("activityReport", "task",
                             "query($o: ID!) { activityReport(filter: {ownerIds: [$o]}) { total } }",
                             lambda c: {"o": c.owner}, lambda data, c: data["total"] > 0)],
        "pipelineReport": [L("pipelineReport", "opportunity",
                             "query($o: ID!) { pipelineReport(filter: {ownerIds: [$o]}) { count } }",
                             lambda c: {"o": c.owner}, lambda data, c: data["count"] > 0)],
        "activities": [L("activities", "task",
                         "query { activities(filter: {owner: ANY}, first: 500) { totalCount edges { node { id } } } }",
                         lambda c: {}, lambda data, c: contains(c, data))],
        "activityCounts": [L("activityCounts", "task",
                             "query($o: ID!) { activityCounts(filter: {ownerIds: [$o]}) { total } }",
                             lambda c: {"o": c.owner}, lambda data, c: data["total"] > 0)],
        "liveCursor": [Q("liveCursor", "self", None, "{ liveCursor }", lambda c: {})],
        "quickFind": [L("quickFind", "account", 'query { quickFind(text: "Mx account", first: 100) { id } }',
                        lambda c: {}, lambda data, c: c.t in {r["id"] for r in data})],
        "attachmentPolicy": [Q("attachmentPolicy", "self", None, "{ attachmentPolicy { maxBytes } }", lambda c: {})],
        "timeline": [
            *(Q("timeline", "read", kind, "query($id: ID!) { timeline(recordId: $id) { totalCount edges { node { "
                "__typename } } } }", lambda c: {"id": c.t}, variant=kind) for kind in RECORD_KINDS),
            L("timeline", "note", "query($id: ID!) { timeline(recordId: $id, first: 500) { totalCount edges { node "
              "{ ... on Note { id } } } } }", lambda c: {"id": c.world.shared["customer"]},
              lambda data, c: data is not None and contains(c, data), variant="entries"),
        ],
        "linkSuggestions": [L("linkSuggestions", "contact",
                              "query($a: String!) { linkSuggestions(addresses: [$a]) { relatedContacts { id } } }",
                              lambda c: {"a": c.key}, lambda data, c: c.t in {r["id"] for r in data["relatedContacts"]})],
        "trackedActivity": [Q("trackedActivity", "read", "tracked_email",
                              "query($m: String!) { trackedActivity(messageId: $m) { id } }", lambda c: {"m": c.key})],
        "workList": [L("workList", "task_step",
                       "query { workList(filter: {owner: ANY}, first: 500) { totalCount edges { node { current { id } } } } }",
                       lambda c: {}, lambda data, c: c.t in {e["node"]["current"]["id"] for e in data["edges"]})],
        "upNext": [Q("upNext", "read", "connected_lead", "query($id: ID!) { upNext(recordId: $id) { current { id } } }",
                     lambda c: {"id": c.t})],
        "sequences": [Q("sequences", "self", None, "{ sequences { id } }", lambda c: {})],
        "webhooks": [Q("webhooks", "config", None, "{ webhooks { id } }", lambda c: {})],
        "webhookDeliveries": [Q("webhookDeliveries", "config", None,
                                "query($id: ID!) { webhookDeliveries(webhookId: $id) { totalCount } }",
                                lambda c: {"id": c.world.shared["webhook"]})],
        "auditTrail": [Q("auditTrail", "config", "account",
                         "query($id: ID!) { auditTrail(recordId: $id) { totalCount } }", lambda c: {"id": c.t})],
        # --- records ---
        "createAccount": [M("createAccount", "create", None,
                             lambda c: {"name": "New", "ownerId": c.owner, "acknowledgeWarnings": True}, "owner")],
        "updateAccount": [M("updateAccount", "write", "account", lambda c: {"id": c.t, "website": "https://w.example"})],
        "createContact": [
            M("createContact", "create", None, lambda c: {"firstName": "N", "lastName": "Ew", "ownerId": c.owner,
                                                          "acknowledgeWarnings": True}, "owner"),
            M("createContact", "append", "account",
              lambda c: {"firstName": "N", "lastName": "Ew", "accountId": c.t, "acknowledgeWarnings": True}, "account"),
        ],
        "updateContact": [M("updateContact", "write", "contact", lambda c: {"id": c.t, "jobTitle": "Buyer"})],
        "addContactsToAccount": [M("addContactsToAccount", "write", "contact",
                                   lambda c: {"accountId": c.world.shared["customer"], "contactIds": [c.t]})],
        "changeOwner": [M("changeOwner", "assign", kind, lambda c: {"id": c.t, "ownerId": c.me}, kind)
                        for kind in RECORD_KINDS],
        "deactivateRecord": [M("deactivateRecord", "write", kind, lambda c: {"id": c.t}, kind)
                             for kind in ("account", "contact")],
        # The recycle bin (R-QRY-4) and merge (R-QRY-3); a merge of a record with itself
        # checks write rights on it first, then is refused as VALIDATION (counted as allowed).
        "deleteRecords": [M("deleteRecords", "delete", kind, lambda c: {"ids": [c.t]}, kind, selection=RECYCLED)
                          for kind in RECORD_KINDS],
        "deleteActivities": [M("deleteActivities", "delete", "task", lambda c: {"ids": [c.t]}, selection=RECYCLED)],
        "restore": [M("restore", "delete", "deleted_task", lambda c: {"ids": [c.t]}, selection=RECYCLED)],
        "deletedItems": [L("deletedItems", "deleted_task", "{ deletedItems(first: 500) { id } }", lambda c: {},
                           lambda data, c: c.t in {i["id"] for i in data})],
        "mergeRecords": [M("mergeRecords", "write", kind, lambda c: {"survivorId": c.t, "otherId": c.t}, kind,
                           ok=("VALIDATION",)) for kind in ("account", "contact", "lead")],
        "duplicates": [Q("duplicates", "read", "contact", "query($id: ID!) { duplicates(recordId: $id) { record { id } } }",
                         lambda c: {"id": c.t})],
        "activateRecord": [M("activateRecord", "write", "inactive_account", lambda c: {"id": c.t})],
        "createLead": [M("createLead", "create", None, lambda c: {"topic": "T", "lastName": "L", "ownerId": c.owner,
                                                                  "acknowledgeWarnings": True},
                         "owner")],
        "updateLead": [M("updateLead", "write", "lead", lambda c: {"id": c.t, "companyName": "Co"})],
        "qualifyLead": [M("qualifyLead", "write", "lead", lambda c: {"leadId": c.t})],
        "disqualifyLead": [M("disqualifyLead", "write", "lead", lambda c: {"leadId": c.t, "reason": "LOST"})],
        "createOpportunity": [
            M("createOpportunity", "create", None, lambda c: {"topic": "T", "ownerId": c.owner}, "owner"),
            M("createOpportunity", "append", "account", lambda c: {"topic": "T", "customerId": c.t}, "customer"),
        ],
        "updateOpportunity": [M("updateOpportunity", "write", "opportunity", lambda c: {"id": c.t, "probability": 40})],
        "closeOpportunity": [M("closeOpportunity", "write", "opportunity", lambda c: {"id": c.t, "outcome": "WON"})],
        "createCase": [
            M("createCase", "create", None,
              lambda c: {"title": "T", "customerId": c.world.shared["customer"], "ownerId": c.owner}, "owner"),
            M("createCase", "append", "account", lambda c: {"title": "T", "customerId": c.t}, "customer"),
        ],
        "updateCase": [M("updateCase", "write", "case", lambda c: {"id": c.t, "priority": "HIGH"})],
        "resolveCase": [M("resolveCase", "write", "case", lambda c: {"id": c.t})],
        "cancelCase": [M("cancelCase", "write", "case", lambda c: {"id": c.t})],
        "renameRecordType": [M("renameRecordType", "config", None,
                               lambda c: {"recordType": "ACCOUNT", "singular": "account", "plural": "accounts"},
                               per_ownership=False)],
        # --- activities ---
        "createTask": [
            M("createTask", "create", None, lambda c: {"subject": "S", "ownerId": c.owner}, "owner"),
            *(M("createTask", "append", kind, lambda c: {"subject": "S", "regardingId": c.t}, f"regarding {kind}")
              for kind in RECORD_KINDS),
        ],
        "logPhoneCall": [
            M("logPhoneCall", "create", None, lambda c: {"subject": "S", "phoneNumber": "+1 555 0101", "ownerId": c.owner},
              "owner"),
            M("logPhoneCall", "append", "contact", lambda c: {"subject": "S", "to": [{"partyId": c.t}]}, "to contact"),
        ],
        "sendEmail": [
            M("sendEmail", "create", None, lambda c: {"subject": "S", "to": [{"address": "x@mx.example"}],
                                                      "ownerId": c.owner}, "owner"),
            M("sendEmail", "append", "contact", lambda c: {"subject": "S", "to": [{"partyId": c.t}]}, "to contact"),
        ],
        "createAppointment": [M("createAppointment", "create", None,
                                lambda c: {"subject": "S", "start": START, "end": END, "ownerId": c.owner}, "owner")],
        "sendTextMessage": [M("sendTextMessage", "create", None,
                              lambda c: {"text": "Hi", "phoneNumber": "+1 555 0102", "ownerId": c.owner}, "owner")],
        "receiveTextMessage": [M("receiveTextMessage", "reply", "text_message",
                                 lambda c: {"fromNumber": c.key, "text": "Reply"})],
        "updateActivity": [M("updateActivity", "write", kind, lambda c: {"id": c.t, "description": "Changed"}, kind)
                           for kind in ("task", "phone_call", "appointment")],
        "completeActivities": [M("completeActivities", "write", kind, lambda c: {"ids": [c.t]}, kind, selection=BULK)
                               for kind in ("task", "phone_call", "appointment")],
        "cancelActivities": [M("cancelActivities", "write", "task", lambda c: {"ids": [c.t]}, selection=BULK)],
        "reopenActivity": [M("reopenActivity", "write", "completed_task", lambda c: {"id": c.t})],
        "assignActivities": [M("assignActivities", "assign", kind, lambda c: {"ids": [c.t], "ownerId": c.me}, kind,
                               selection=BULK) for kind in ACTIVITY_KINDS],
        # --- notes and attachments ---
        "addNote": [
            M("addNote", "append", "account", lambda c: {"recordId": c.t, "title": "N"}, "on record"),
            M("addNote", "append", "task", lambda c: {"activityId": c.t, "title": "N"}, "on activity"),
        ],
        "updateNote": [M("updateNote", "write", "note", lambda c: {"id": c.t, "title": "Changed"})],
        "deleteNote": [M("deleteNote", "delete", "note", lambda c: {"id": c.t})],
        # Attaching a file to an activity appends to it (Dynamics' Append To), like a note.
        "addAttachment": [Op("addAttachment", "", "upload", "append", "task")],
        # --- import (R-IMP-1): a one-row file creating a contact for the ownership's owner ---
        "importRecords": [Op("importRecords", "", "upload", "create")],
        "removeAttachment": [M("removeAttachment", "write", "attachment", lambda c: {"id": c.t})],
        "setAttachmentPolicy": [M("setAttachmentPolicy", "config", None, lambda c: {"maxBytes": 10 * 1024 * 1024},
                                  per_ownership=False)],
        # --- tracking (R-TRACK-*) ---
        "trackEmail": [M("trackEmail", "append", "account",
                         lambda c: {"messageId": f"<{uuid.uuid4()}@mx.example>", "subject": "S",
                                    "from": "someone@mx.example", "regardingId": c.t}, "regarding")],
        "trackAppointment": [M("trackAppointment", "append", "account",
                               lambda c: {"icalUid": str(uuid.uuid4()), "subject": "S", "start": START, "end": END,
                                          "regardingId": c.t}, "regarding")],
        "updateTrackedActivity": [M("updateTrackedActivity", "write", "tracked_email",
                                    lambda c: {"id": c.t, "categories": ["Blue"]})],
        "deleteTrackedActivity": [M("deleteTrackedActivity", "delete", "tracked_email", lambda c: {"id": c.t})],
        "importMail": [Op("importMail", "", "upload", "append", "account")],
        # --- sequences and the work list (R-SEQ-1, R-WL-*) ---
        "createSequence": [M("createSequence", "define", None,
                             lambda c: {"name": f"Seq {uuid.uuid4()}", "steps": [{"kind": "TASK", "subject": "Call"}]}, per_ownership=False)],
        "connectSequence": [M("connectSequence", "write", "lead",
                              lambda c: {"sequenceId": c.world.shared["sequence"], "recordId": c.t})],
        "pauseSequence": [M("pauseSequence", "write", "connected_lead", lambda c: {"recordId": c.t})],
        "resumeSequence": [M("resumeSequence", "write", "paused_lead", lambda c: {"recordId": c.t})],
        "disconnectSequence": [M("disconnectSequence", "write", "connected_lead", lambda c: {"recordId": c.t})],
        "completeStep": [M("completeStep", "write", "task_step", lambda c: {"id": c.t})],
        "skipStep": [M("skipStep", "write", "task_step", lambda c: {"id": c.t})],
        "snoozeStep": [M("snoozeStep", "write", "task_step", lambda c: {"id": c.t, "until": END})],
        "assignStep": [M("assignStep", "assign", "task_step", lambda c: {"id": c.t, "ownerId": c.me})],
        "callFromStep": [M("callFromStep", "write", "call_step", lambda c: {"id": c.t})],
        "emailFromStep": [M("emailFromStep", "write", "email_step", lambda c: {"id": c.t})],
        "textFromStep": [M("textFromStep", "write", "text_step", lambda c: {"id": c.t, "text": "Hi"})],
        # Joining opens the meeting the step already has: nothing is written, reading suffices.
        "joinMeetingFromStep": [M("joinMeetingFromStep", "read", "meeting_step", lambda c: {"id": c.t})],
        # --- webhooks (R-LIVE-6) ---
        "createWebhook": [M("createWebhook", "config", None, lambda c: {"url": "https://hooks.example/r", "active": False},
                            per_ownership=False)],
        "deleteWebhook": [M("deleteWebhook", "config", None, lambda c: {"id": c.world.shared[f"webhook:{c.viewer}"]},
                            per_ownership=False)],
        # --- administration (R-ADM-*): every signed-in user reads the directory; only an
        # administrator changes people, units, teams and roles. Each viewer's case has
        # targets of its own (`admin_targets`), so the administrator's allowed change never
        # alters another viewer's case. ---
        "users": [Q("users", "self", None, "{ users(first: 5) { totalCount } }", lambda c: {}, per_ownership=False)],
        "roles": [Q("roles", "self", None, "{ roles { id privileges { depth } } }", lambda c: {}, per_ownership=False)],
        "businessUnits": [Q("businessUnits", "self", None, "{ businessUnits { id } }", lambda c: {},
                            per_ownership=False)],
        "teams": [Q("teams", "self", None, "{ teams { id members { id } } }", lambda c: {}, per_ownership=False)],
        "createUser": [admin_op("createUser", lambda c: {"email": f"{uuid.uuid4()}@mx.example", "fullName": "New",
                                                          "businessUnitId": c.world.shared["unit:sales"]})],
        "updateUser": [admin_op("updateUser", lambda c: {"id": mine(c, "user"), "fullName": "Changed"})],
        "deactivateUser": [admin_op("deactivateUser", lambda c: {"id": mine(c, "user")})],
        "activateUser": [admin_op("activateUser", lambda c: {"id": mine(c, "inactive_user")})],
        "reassignRecords": [admin_op("reassignRecords", lambda c: {"fromUserId": mine(c, "user"), "toOwnerId": c.me},
                                     selection="accounts")],
        "createBusinessUnit": [admin_op("createBusinessUnit", lambda c: {"name": "U",
                                                                          "parentId": c.world.shared["unit:root"]})],
        "updateBusinessUnit": [admin_op("updateBusinessUnit", lambda c: {"id": mine(c, "unit"), "name": "Renamed"})],
        "deactivateBusinessUnit": [admin_op("deactivateBusinessUnit", lambda c: {"id": mine(c, "unit")})],
        "activateBusinessUnit": [admin_op("activateBusinessUnit", lambda c: {"id": mine(c, "inactive_unit")})],
        "createTeam": [admin_op("createTeam", lambda c: {"name": "T", "businessUnitId": c.world.shared["unit:sales"]})],
        "updateTeam": [admin_op("updateTeam", lambda c: {"id": mine(c, "team"), "name": "Renamed"})],
        "addTeamMembers": [admin_op("addTeamMembers", lambda c: {"teamId": mine(c, "team"),
                                                                  "userIds": [mine(c, "user")]})],
        "removeTeamMembers": [admin_op("removeTeamMembers", lambda c: {"teamId": mine(c, "team"),
                                                                        "userIds": [mine(c, "user")]})],
        "copyRole": [admin_op("copyRole", lambda c: {"roleId": c.world.shared["role:salesperson"],
                                                      "name": f"Copy {uuid.uuid4()}"})],
        "updateRolePrivileges": [admin_op("updateRolePrivileges", lambda c: {"roleId": mine(c, "role"), "privileges": [
            {"recordType": "ACCOUNT", "action": "READ", "depth": "USER"}]})],
        "assignRoles": [admin_op("assignRoles", lambda c: {"principalId": mine(c, "user"), "roleIds": [mine(c, "role")]},
                                 selection="principal { __typename }")],
        "removeRoles": [admin_op("removeRoles", lambda c: {"principalId": mine(c, "user"),
                                                            "roleIds": [c.world.shared["role:salesperson"]]},
                                 selection="principal { __typename }")],
        # --- custom fields (R-QRY-2): administrators define, everyone reads the definitions ---
        "customFieldDefinitions": [Q("customFieldDefinitions", "self", None, "{ customFieldDefinitions { name } }",
                                     lambda c: {}, per_ownership=False)],
        "defineCustomField": [admin_op("defineCustomField", lambda c: {
            "recordType": "CONTACT", "name": f"f{uuid.uuid4().hex[:12]}", "label": f"F {uuid.uuid4()}",
            "type": "TEXT"}, selection="field { id }")],
        "updateCustomField": [admin_op("updateCustomField", lambda c: {"id": mine(c, "field"),
                                                                        "label": f"L {uuid.uuid4()}"},
                                       selection="field { id }")],
        "retireCustomField": [admin_op("retireCustomField", lambda c: {"id": mine(c, "retire_field")},
                                       selection="field { id }")],
        # --- self-service (R-AUTH-2): everyone, on their own profile and tokens ---
        "myTokens": [Q("myTokens", "self", None, "{ myTokens { id } }", lambda c: {}, per_ownership=False)],
        "updateMyProfile": [M("updateMyProfile", "self", None, lambda c: {"mobilePhone": "+1 555 0199"},
                              per_ownership=False, selection="user { id }")],
        "createMyToken": [M("createMyToken", "self", None, lambda c: {"label": "matrix"}, per_ownership=False,
                            selection="secret")],
        "revokeMyToken": [M("revokeMyToken", "self", None, lambda c: {"id": mine(c, "token")}, per_ownership=False)],
        # --- sharing (R-ADM-6): whoever may assign the record shares it ---
        "recordAccess": [Q("recordAccess", "read", "account", "query($id: ID!) { recordAccess(recordId: $id) { rights } }",
                           lambda c: {"id": c.t})],
        "shareRecord": [M("shareRecord", "assign", "account",
                          lambda c: {"recordId": c.t, "principalId": c.world.user_gid("peer")})],
        "unshareRecord": [M("unshareRecord", "assign", "shared_account",
                            lambda c: {"recordId": c.t, "principalId": c.world.user_gid("peer")})],
        # --- subscriptions (R-LIVE-4) ---
        "recordChanged": [S("recordChanged", kind, "subscription($id: ID!, $after: String) { recordChanged(id: $id, "
                            "after: $after) { cursor record { id } } }", kind) for kind in RECORD_KINDS],
        "timelineChanged": [S("timelineChanged", kind, "subscription($id: ID!, $after: String) { timelineChanged("
                              "recordId: $id, after: $after) { cursor entryId } }", kind) for kind in RECORD_KINDS],
        "workListChanged": [S("workListChanged", None, "subscription { workListChanged { cursor } }", action="self")],
    }
    return ops


def node_variants(type_names: list[str]) -> list[Op]:
    found = []
    for name in type_names:
        if name not in NODE_TARGETS:
            raise AssertionError(f"unclassified operation node[{name}]: add the type to NODE_TARGETS")
        target = NODE_TARGETS[name]
        action = "self" if target in ("principal", "sequence") else "read"
        found.append(Q("node", action, None if action == "self" else target,
                       "query($id: ID!) { node(id: $id) { id } }",
                       (lambda c, n=name: {"id": c.world.node_ids[n]}) if action == "self" else (lambda c: {"id": c.t}),
                       variant=name, per_ownership=action != "self"))
    return found


# --- running ----------------------------------------------------------------------------------


@dataclass
class Tally:
    cases: int = 0
    leaks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    by_verdict: dict[str, int] = field(default_factory=lambda: {"allow": 0, "forbid": 0, "hide": 0})

    def record(self, op: Op, viewer: str, ownership: str | None, expected: str, problem: str | None,
               leak: bool = False) -> None:
        self.cases += 1
        self.by_verdict[expected] += 1
        if problem:
            line = f"{op.name} as {viewer} on {ownership or '-'}: expected {expected}, {problem}"
            (self.leaks if leak else self.failures).append(line)


def first_code(body: dict[str, Any], op: Op) -> str | None:
    if body.get("errors"):
        return (body["errors"][0].get("extensions") or {}).get("code") or "GRAPHQL_ERROR"
    if op.kind in ("mutation", "upload"):
        payload = (body.get("data") or {}).get(op.field) or {}
        if payload.get("errors"):
            return str(payload["errors"][0]["code"])
        results = payload.get("results")
        if results is not None:
            first = results[0] if results else {}
            return None if first.get("ok") else ((first.get("error") or {}).get("code") or "NOT_OK")
    return None


def has_value(value: Any) -> bool:
    """Anything but nulls (and empty lists) in a response's data."""
    if isinstance(value, dict):
        return any(has_value(v) for v in value.values())
    if isinstance(value, list):
        return any(has_value(v) for v in value)
    return value is not None


def counts_something(value: Any) -> bool:
    """Any count in a response (totalCount, total, count) above zero."""
    if isinstance(value, dict):
        return any((k in ("totalCount", "total", "count") and isinstance(v, int) and v > 0) or counts_something(v)
                   for k, v in value.items())
    if isinstance(value, list):
        return any(counts_something(v) for v in value)
    return False


def counts_hidden(value: Any) -> bool:
    """A connection whose totalCount is more than the edges it returns in one page: it counts
    rows the viewer is not shown."""
    if isinstance(value, dict) and isinstance(value.get("totalCount"), int) and "edges" in value:
        return value["totalCount"] > len(value["edges"])
    return False


def normalised(body: Any, replace: dict[str, str]) -> str:
    text = json.dumps(body, sort_keys=True)
    for old, new in replace.items():
        if old:
            text = text.replace(old, new)
    return text


class Matrix:
    def __init__(self, world: World, api: Api, factory: Factory, ws_url: str, cursor: str) -> None:
        self.world, self.api, self.factory, self.ws_url, self.cursor = world, api, factory, ws_url, cursor
        self.viewers, self.ownerships = factory.viewers, factory.ownerships
        self.tally = Tally()
        self.shared: dict[str, Cases] = {}

    async def targets(self, kind: str, fresh: bool) -> Cases:
        if not fresh:
            if kind not in self.shared:
                self.shared[kind] = await self.factory.make(kind)
            return self.shared[kind]
        return await self.factory.make(kind)

    async def post(self, op: Op, case: Case) -> dict[str, Any]:
        if op.kind == "upload":
            return await self.upload(op, case)
        if op.kind == "mutation":
            type_name = op.field[0].upper() + op.field[1:] + "Input"
            document = (f"mutation($input: {type_name}!) {{ {op.field}(input: $input) "
                        f"{{ errors {{ code message field }} {op.selection} }} }}")
            variables = {"input": op.build(case)}
        else:
            document, variables = op.document, op.build(case)
        response = await self.api.post(document, variables, as_=case.viewer)
        assert response.status_code == 200, (op.name, response.status_code, response.text)
        return response.json()

    async def upload(self, op: Op, case: Case) -> dict[str, Any]:
        if op.field == "addAttachment":
            query = "mutation($input: AddAttachmentInput!) { addAttachment(input: $input) { errors { code message field } } }"
            return await post_file(self.api, query, {"input": {"file": None, "activityId": case.t}}, ["input", "file"],
                                   "pixel.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, case.viewer)
        if op.field == "importRecords":
            return await self.import_one(case)
        mail = (f"Message-ID: <{uuid.uuid4()}@mx.example>\r\nFrom: someone@mx.example\r\nTo: x@mx.example\r\n"
                f"Subject: Imported\r\nDate: Mon, 03 Mar 2031 10:00:00 +0000\r\n\r\nHello\r\n").encode()
        query = "mutation($input: ImportMailInput!) { importMail(input: $input) { errors { code message field } } }"
        return await post_file(self.api, query, {"input": {"file": None, "regardingId": case.t}}, ["input", "file"],
                               "mail.eml", mail, case.viewer)

    async def import_one(self, case: Case) -> dict[str, Any]:
        """A payload whose import created nothing reads as failed, with the row's code."""
        query = ("mutation($input: ImportRecordsInput!) { importRecords(input: $input) { errors { code message field } "
                 "result { created problems { code } } } }")
        data = f"First Name,Last Name,Email\r\nIm,Ported,{uuid.uuid4().hex}@import.example\r\n".encode()
        body = await post_file(self.api, query, {"input": {"file": None, "recordType": "CONTACT", "ownerId": case.owner}},
                               ["input", "file"], "contacts.csv", data, case.viewer)
        payload = (body.get("data") or {}).get("importRecords") or {}
        result = payload.get("result")
        if not payload.get("errors") and result is not None and result["created"] != 1:
            payload["errors"] = [{"code": (result["problems"] or [{"code": "NOT_CREATED"}])[0]["code"]}]
        return body

    async def run(self, op: Op) -> None:
        if op.kind == "subscription":
            await self.subscription(op)
            return
        if not op.per_ownership or op.target is None and op.action in ("self", "config", "define"):
            for viewer in self.viewers:
                body = await self.post(op, Case(self.world, viewer, None, None))
                self.judge(op, viewer, None, verdict(viewer, op.action, None), body, None)
            return
        fresh = op.kind == "mutation" and op.field in STATE_CHANGING
        cases = await self.targets(op.target, fresh) if op.target else {}
        for viewer in self.viewers:
            missing_body = None
            missing_target: Target | None = None
            hides = any(verdict(viewer, op.action, o) == "hide" for o in self.ownerships)
            if op.target and op.kind != "list" and hides:
                sample = next(iter(cases.values()))
                missing_target = Target(missing_like(sample.id) if not sample.id.startswith("+") else sample.id,
                                        f"<{uuid.uuid4()}@mx.example>" if sample.key and "@" in sample.key
                                        else (f"+1 555 9{uuid.uuid4().int % 10**6:06d}" if sample.key else None))
                missing_body = await self.post(op, Case(self.world, viewer, "own", missing_target))
            for ownership in self.ownerships:
                target = cases.get((viewer, ownership))
                case = Case(self.world, viewer, ownership, target)
                expected = verdict(viewer, op.action, ownership)
                body = await self.post(op, case)
                replace = {}
                if target is not None and missing_target is not None:
                    replace = {target.id: "<id>", missing_target.id: "<id>"}
                    if target.key and missing_target.key:
                        replace.update({target.key: "<key>", missing_target.key: "<key>"})
                self.judge(op, viewer, ownership, expected, body, (missing_body, replace))

    def judge(self, op: Op, viewer: str, ownership: str | None, expected: str, body: dict[str, Any],
              missing: tuple[dict[str, Any] | None, dict[str, str]] | None) -> None:
        code = first_code(body, op)
        if op.kind == "list":
            value = (body.get("data") or {}).get(op.field)
            if expected == "allow":
                problem = None if code is None and value is not None and self._shows(op, value, viewer, ownership) \
                    else f"not shown (code {code}): {json.dumps(body)[:300]}"
                self.tally.record(op, viewer, ownership, expected, problem)
            else:
                shown = value is not None and self._shows(op, value, viewer, ownership)
                # A viewer who reads nothing must count nothing; one who reads some rows must
                # count only the rows shown (every list asks for more rows than there are).
                reads_nothing = all(verdict(viewer, op.action, o) == "hide" for o in self.ownerships)
                counted = counts_something(value) if reads_nothing else counts_hidden(value)
                problem = f"shown or counted: {json.dumps(body)[:300]}" if shown or counted else None
                self.tally.record(op, viewer, ownership, "hide", problem, leak=bool(problem))
            return
        if op.kind == "query":
            value = (body.get("data") or {}).get(op.field)
            if expected == "allow":
                problem = None if code is None and value is not None else f"got {code}: {json.dumps(body)[:300]}"
            elif expected == "forbid":
                problem = None if code == "FORBIDDEN" and value is None else f"got {code}: {json.dumps(body)[:300]}"
            else:
                problem = self._hidden(body, code, missing)
            self.tally.record(op, viewer, ownership, expected, problem, leak=expected == "hide" and bool(problem))
            return
        if expected == "allow":
            problem = None if code is None or code in op.ok else f"got {code}: {json.dumps(body)[:400]}"
        elif expected == "forbid":
            problem = None if code == "FORBIDDEN" else f"got {code}: {json.dumps(body)[:400]}"
        else:
            problem = self._hidden(body, code, missing)
        self.tally.record(op, viewer, ownership, expected, problem, leak=expected == "hide" and bool(problem))

    def _shows(self, op: Op, value: Any, viewer: str, ownership: str | None) -> bool:
        assert op.shows is not None and ownership is not None
        target = self.shared[op.target][(viewer, ownership)]  # type: ignore[index]
        return op.shows(value, Case(self.world, viewer, ownership, target))

    @staticmethod
    def _hidden(body: dict[str, Any], code: str | None,
                missing: tuple[dict[str, Any] | None, dict[str, str]] | None) -> str | None:
        assert missing is not None and missing[0] is not None
        missing_body, replace = missing
        if normalised(body, replace) != normalised(missing_body, replace):
            return f"differs from a missing id: {json.dumps(body)[:300]} vs {json.dumps(missing_body)[:300]}"
        if code is None and has_value(body.get("data")):
            return f"returned data: {json.dumps(body)[:300]}"
        return None

    async def lists_first(self, ops: list[Op]) -> None:
        for op in ops:
            if op.kind == "list":
                await self.targets(op.target, False)  # type: ignore[arg-type]

    async def subscription(self, op: Op) -> None:
        if op.target is None:
            for viewer in self.viewers:
                async with ws_connect(self.ws_url, self.api.tokens[viewer]) as ws:
                    first = await ws.subscribe(op.document)
                    canary = await ws.subscribe("subscription($a: String) { workListChanged(after: $a) { cursor } }",
                                                {"a": "not-a-cursor"})
                    # The canary ends at once (a bad cursor); the first stream, started before it,
                    # would have ended by then too if it was refused.
                    problem = None
                    try:
                        await ws.next(canary)
                        problem = "the canary did not end"
                    except StreamEnded as ended:
                        if ended.codes != ["VALIDATION"]:
                            problem = f"canary ended with {ended.codes}"
                    for message in list(ws._inbox[first]):
                        if message["type"] in ("error", "complete"):
                            problem = f"ended: {message}"
                    await ws.stop(first)
                self.tally.record(op, viewer, None, "allow", problem)
            return
        cases = self.shared[op.target]
        for viewer in self.viewers:
            async with ws_connect(self.ws_url, self.api.tokens[viewer]) as ws:
                missing = missing_like(next(iter(cases.values())).id)
                missing_errors = await self._first_event(ws, op, missing)
                for ownership in self.ownerships:
                    target = cases[(viewer, ownership)]
                    expected = verdict(viewer, op.action, ownership)
                    got = await self._first_event(ws, op, target.id)
                    if expected == "allow":
                        problem = None if isinstance(got, dict) and "data" in got else f"got {got}"
                    else:
                        same = normalised(got, {target.id: "<id>"}) == normalised(missing_errors, {missing: "<id>"})
                        problem = None if same and not (isinstance(got, dict) and "data" in got) else \
                            f"differs from a missing id: {got} vs {missing_errors}"
                    self.tally.record(op, viewer, ownership, expected, problem, leak=expected != "allow" and bool(problem))

    async def _first_event(self, ws: Any, op: Op, record_id: str) -> Any:
        op_id = await ws.subscribe(op.document, {"id": record_id, "after": self.cursor})
        try:
            data = await ws.next(op_id)
        except StreamEnded as ended:
            return {"errors": [{"message": e.get("message"), "code": (e.get("extensions") or {}).get("code")}
                               for e in ended.errors]}
        await ws.stop(op_id)
        return {"data": data}


READ_KINDS = ("query", "list", "subscription")


def full_matrix(backend: str) -> bool:
    """Writes are checked in Python on the rows a command loads, the same on both databases;
    reads are SQL predicates, which can differ. To keep CI short, the whole matrix runs on
    PostgreSQL when it is there (CI always has it), and on SQLite the reads only; without
    PostgreSQL, SQLite runs the whole matrix."""
    return backend == "postgresql" or not os.environ.get("RELATE_TEST_DATABASE_URL")


@pytest.fixture
async def matrix_app(db: Database, tmp_path: Path) -> AsyncIterator[tuple[Api, str]]:
    settings = app_settings(file_store_dir=str(tmp_path / "files"), rate_limit_per_second=0, ws_max_subscriptions=200,
                            live_poll_seconds=60.0)
    app = create_app(settings, db=db)
    async with serve(app) as url, httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                    base_url="http://relate.test", timeout=30) as http:
        yield Api(http, {}), url


@pytest.mark.slow(120)
# Every operation × viewer × ownership: about 290 s on PostgreSQL when the machine is busy, too
# close to the suite-wide 300 s limit, which is for hung tests, not long ones.
@pytest.mark.timeout(900)
async def test_r_sec_1_authorization_matrix_has_no_leak(db: Database, matrix_app: tuple[Api, str],
                                                        backend: str) -> None:
    api, url = matrix_app
    world = await build_world(db, api)
    factory = Factory(world)
    world.shared["sequence"] = await factory.sequence("TASK")
    hooks = await api("mutation { createWebhook(input: {url: \"https://hooks.example/x\", active: false}) { errors { code } "
                      "webhook { id } } }")
    world.shared["webhook"] = hooks["createWebhook"]["webhook"]["id"]
    for viewer in VIEWERS:  # one each for deleteWebhook
        made = await api("mutation { createWebhook(input: {url: \"https://hooks.example/d\", active: false}) { webhook { id } } }")
        world.shared[f"webhook:{viewer}"] = made["createWebhook"]["webhook"]["id"]
    await admin_targets(api, world)
    cursor = (await api("{ liveCursor }"))["liveCursor"]

    schema = build_schema(app_settings())._schema
    fields = {name: kind for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type),
                                            ("subscription", schema.subscription_type)) for name in root.fields}
    node_types = sorted(t.name for t in schema.get_implementations(schema.get_type("Node")).objects)
    classified = operations()
    unclassified = sorted(set(fields) - set(classified))
    assert not unclassified, f"unclassified operation(s) {unclassified}: classify them in operations()"
    gone = sorted(set(classified) - set(fields))
    assert not gone, f"classified operations no longer in the schema: {gone}"
    classified["node"] = node_variants(node_types)
    world.node_ids = {"User": world.user_gid("service"), "Team": world.owner_gid("admin", "team"),
                      "Sequence": world.shared["sequence"], "BusinessUnit": world.shared["unit:sales"],
                      "Role": world.shared["role:salesperson"]}

    matrix = Matrix(world, api, factory, url, cursor)
    ops = [op for name in sorted(classified) for op in classified[name]]
    # Lists first, on targets made once: later writes must not change what they count.
    await matrix.lists_first(ops)
    for kind in RECORD_KINDS:  # a timeline event on each shared record, for timelineChanged
        await matrix.targets(kind, False)
    await timeline_events(api, matrix)
    ordered = sorted(ops, key=lambda o: (o.kind != "list", o.kind == "subscription"))
    if not full_matrix(backend):
        ordered = [op for op in ordered if op.kind in READ_KINDS]
    for op in ordered:
        await matrix.run(op)

    assert_no_problem(matrix, ordered, "authorization matrix", backend)
    assert matrix.tally.cases >= (2000 if full_matrix(backend) else 500)


def assert_no_problem(matrix: Matrix, ordered: list[Op], title: str, backend: str) -> None:
    tally = matrix.tally
    print(f"\n{title} ({backend}, {'all operations' if full_matrix(backend) else 'reads'}): {tally.cases} cases "
          f"({len({o.field for o in ordered})} operations, {len(ordered)} variants, {len(matrix.viewers)} viewers, "
          f"{len(matrix.ownerships)} ownerships; "
          f"allow {tally.by_verdict['allow']}, forbid {tally.by_verdict['forbid']}, hide {tally.by_verdict['hide']}): "
          f"{len(tally.leaks)} leaks, {len(tally.failures)} other failures")
    problems = tally.leaks + tally.failures
    assert not problems, "\n".join(problems[:80]) + (f"\n… and {len(problems) - 80} more" if len(problems) > 80 else "")


@pytest.mark.slow(60)
async def test_r_adm_5_6_custom_role_and_sharing_have_no_leak(db: Database, matrix_app: tuple[Api, str],
                                                              backend: str) -> None:
    """The matrix for a custom role (R-ADM-5) and shared records (R-ADM-6): `custom` (a copy of
    salesperson reading its own unit only) and `sales`, over the five ownerships and the three
    sharing ones, on every operation that takes a record. `custom` cannot read `other`, so
    sharing must open reads to it; `sales` reads everything, so sharing must open writes only
    with the write right; an unshared record is back to what the role alone allows."""
    api, url = matrix_app
    world = await build_world(db, api)
    factory = Factory(world, viewers=(*CUSTOM_VIEWERS, "sales"), ownerships=(*OWNERSHIPS, *SHARINGS))
    world.shared["sequence"] = await factory.sequence("TASK")
    cursor = (await api("{ liveCursor }"))["liveCursor"]
    classified = operations()
    classified["node"] = node_variants(sorted(RECORD_KINDS.values()))
    ops = [op for name in sorted(classified) for op in classified[name]
           if op.per_ownership and op.target in RECORD_KINDS]

    matrix = Matrix(world, api, factory, url, cursor)
    await matrix.lists_first(ops)
    for kind in RECORD_KINDS:
        await matrix.targets(kind, False)
    await timeline_events(api, matrix)
    ordered = sorted(ops, key=lambda o: (o.kind != "list", o.kind == "subscription"))
    if not full_matrix(backend):
        ordered = [op for op in ordered if op.kind in READ_KINDS]
    for op in ordered:
        await matrix.run(op)

    assert_no_problem(matrix, ordered, "custom role and sharing matrix", backend)
    by_ownership = {o: {verdict(v, "read", o) for v in matrix.viewers} for o in SHARINGS}
    assert by_ownership == {"shared_read": {"allow"}, "shared_write": {"allow"}, "unshared": {"allow", "hide"}}
    assert matrix.tally.cases >= (900 if full_matrix(backend) else 400)


async def timeline_events(api: Api, matrix: Matrix) -> None:
    from tests.security.matrix_world import run_many

    items = [("createTask", {"subject": "On the timeline", "regardingId": t.id})
             for kind in RECORD_KINDS for t in matrix.shared[kind].values()]
    await run_many(api, items)


async def admin_targets(api: Api, world: Any) -> None:
    """For each viewer: a user, a deactivated user, an empty unit, a deactivated unit, a team
    and a custom role, for the administration mutations to act on."""
    world.shared["unit:root"] = to_global_id("BusinessUnit", world.units["root"])
    world.shared["unit:sales"] = to_global_id("BusinessUnit", world.units["sales"])
    roles = {r["name"]: r["id"] for r in (await api("{ roles { id name } }"))["roles"]}
    world.shared["role:salesperson"] = roles["salesperson"]

    async def made(name: str, values: dict[str, Any], result: str) -> str:
        payload = await api.ok(name, values, f"{result} {{ id }}")
        return str(payload[result]["id"])

    for viewer in VIEWERS:
        for kind in ("user", "inactive_user"):
            world.shared[f"{kind}:{viewer}"] = await made("createUser", {
                "email": f"{kind}.{viewer}@mx.example", "fullName": f"{kind} {viewer}",
                "businessUnitId": world.shared["unit:sales"], "roleIds": [roles["salesperson"]]}, "user")
        await api.ok("deactivateUser", {"id": world.shared[f"inactive_user:{viewer}"]}, "user { id }")
        for kind in ("unit", "inactive_unit"):
            world.shared[f"{kind}:{viewer}"] = await made("createBusinessUnit", {
                "name": f"{kind} {viewer}", "parentId": world.shared["unit:root"]}, "businessUnit")
        await api.ok("deactivateBusinessUnit", {"id": world.shared[f"inactive_unit:{viewer}"]}, "businessUnit { id }")
        world.shared[f"team:{viewer}"] = await made("createTeam", {
            "name": f"Team {viewer}", "businessUnitId": world.shared["unit:sales"]}, "team")
        spare = await api.ok("createMyToken", {"label": "spare"}, "token { id }", as_=viewer)
        world.shared[f"token:{viewer}"] = spare["token"]["id"]
        world.shared[f"role:{viewer}"] = await made("copyRole", {
            "roleId": roles["salesperson"], "name": f"Role {viewer}"}, "role")
        for kind in ("field", "retire_field"):
            world.shared[f"{kind}:{viewer}"] = await made("defineCustomField", {
                "recordType": "CONTACT", "name": f"{kind.replace('_', '')}{viewer}", "label": f"{kind} {viewer}",
                "type": "TEXT"}, "field")
