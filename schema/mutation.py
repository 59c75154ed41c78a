"""The Mutation root: each field takes one `input` and returns a payload with `errors`."""

from __future__ import annotations

import strawberry

from resolvers import activities, records
from resolvers import imports as import_resolvers
from resolvers import custom_fields as custom_field_resolvers
from resolvers import metadata as metadata_resolvers
from resolvers import sales
from resolvers import notes as notes_resolvers
from resolvers import steps as step_resolvers
from resolvers import tracking as tracking_resolvers
from resolvers import work_list as work_list_resolvers
from schema.payloads import activities as ap
from schema.payloads import imports as ip
from schema.payloads import custom_fields as cfp
from schema.payloads import metadata as mp
from schema.payloads import sales as sp
from schema.payloads import notes as np
from schema.payloads import records as rp
from schema.payloads import tracking as tp
from resolvers import webhooks as webhook_resolvers
from resolvers import users as user_resolvers
from resolvers import organisation as org_resolvers
from resolvers import roles as role_resolvers
from resolvers import sharing as sharing_resolvers
from resolvers import recycle_bin as recycle_resolvers
from schema.payloads import recycle_bin as recycle_payloads
from resolvers import self_service as self_service_resolvers
from schema.payloads import self_service as self_payloads
from schema.payloads import sharing as sharing_payloads
from schema.payloads import roles as role_payloads
from schema.payloads import organisation as org_payloads
from schema.payloads import users as user_payloads
from schema.payloads import webhooks as hook_payloads
from schema.payloads import work_list as wp


@strawberry.type
class Mutation:
    create_account: rp.AccountPayload = strawberry.mutation(resolver=records.create_account)
    update_account: rp.AccountPayload = strawberry.mutation(resolver=records.update_account)
    create_contact: rp.ContactPayload = strawberry.mutation(resolver=records.create_contact)
    update_contact: rp.ContactPayload = strawberry.mutation(resolver=records.update_contact)
    add_contacts_to_account: rp.AddContactsToAccountPayload = strawberry.mutation(
        resolver=records.add_contacts_to_account,
        description="All or nothing: a contact of another account is refused, naming it (R-CON-2).",
    )
    change_owner: rp.RecordPayload = strawberry.mutation(resolver=records.change_owner)
    deactivate_record: rp.RecordPayload = strawberry.mutation(
        resolver=records.deactivate_record, description="Make a record read-only and hide it from default lists (R-REC-2)."
    )
    activate_record: rp.RecordPayload = strawberry.mutation(resolver=records.activate_record)
    import_records: ip.ImportRecordsPayload = strawberry.mutation(
        resolver=import_resolvers.import_records,
        description="Create accounts or contacts from a CSV, XLSX or XML file, with a column mapping, a dry run "
                    "and problems reported by row (R-IMP-1, docs/import.md).",
    )
    create_lead: sp.LeadPayload = strawberry.mutation(resolver=sales.create_lead)
    update_lead: sp.LeadPayload = strawberry.mutation(resolver=sales.update_lead)
    qualify_lead: sp.QualifyLeadPayload = strawberry.mutation(
        resolver=sales.qualify_lead,
        description="Create or link an account, contact and opportunity; the lead becomes QUALIFIED and its "
                    "activities show on the opportunity's timeline (R-LEAD-1).",
    )
    disqualify_lead: sp.LeadPayload = strawberry.mutation(resolver=sales.disqualify_lead)
    create_opportunity: sp.OpportunityPayload = strawberry.mutation(resolver=sales.create_opportunity)
    update_opportunity: sp.OpportunityPayload = strawberry.mutation(resolver=sales.update_opportunity)
    close_opportunity: sp.OpportunityPayload = strawberry.mutation(
        resolver=sales.close_opportunity, description="Close as WON or LOST; the opportunity becomes read-only."
    )
    create_case: sp.CasePayload = strawberry.mutation(resolver=sales.create_case)
    update_case: sp.CasePayload = strawberry.mutation(resolver=sales.update_case)
    resolve_case: sp.CasePayload = strawberry.mutation(resolver=sales.resolve_case)
    cancel_case: sp.CasePayload = strawberry.mutation(resolver=sales.cancel_case)
    rename_record_type: mp.RenameRecordTypePayload = strawberry.mutation(
        resolver=metadata_resolvers.rename_record_type,
        description="Administrators only: a record type's display names (R-REC-3).",
    )
    define_custom_field: cfp.CustomFieldPayload = strawberry.mutation(
        resolver=custom_field_resolvers.define_custom_field,
        description="Administrators only: add a typed field to accounts or contacts (R-QRY-2).",
    )
    update_custom_field: cfp.CustomFieldPayload = strawberry.mutation(
        resolver=custom_field_resolvers.update_custom_field,
        description="Administrators only: a custom field's label, choices or required flag.",
    )
    retire_custom_field: cfp.CustomFieldPayload = strawberry.mutation(
        resolver=custom_field_resolvers.retire_custom_field,
        description="Administrators only: hide a custom field and its values; its name stays taken.",
    )
    create_task: ap.TaskPayload = strawberry.mutation(
        resolver=activities.create_task, description="A task about a record, or a personal one (no regardingId)."
    )
    log_phone_call: ap.PhoneCallPayload = strawberry.mutation(
        resolver=activities.log_phone_call,
        description="Record a call (R-CALL-1): COMPLETED, or OPEN when `state: OPEN` plans one.",
    )
    send_email: ap.EmailPayload = strawberry.mutation(
        resolver=activities.send_email,
        description="Send an email: recorded SENT by the default sender, or PENDING_SEND until `sendAt` "
                    "(R-MAIL-1, R-MAIL-2).",
    )
    create_appointment: ap.AppointmentPayload = strawberry.mutation(
        resolver=activities.create_appointment, description="A SCHEDULED meeting with attendees (R-APPT-1)."
    )
    send_text_message: ap.TextMessagePayload = strawberry.mutation(
        resolver=activities.send_text_message, description="Record a text message as COMPLETED (R-SMS-1)."
    )
    update_activity: ap.ActivityPayload = strawberry.mutation(
        resolver=activities.update_activity, description="Change an open activity; a closed one is read-only."
    )
    complete_activities: ap.BulkActivityPayload = strawberry.mutation(
        resolver=activities.complete_activities,
        description="Mark open activities complete, with an optional note on each (R-ACT-6).",
    )
    cancel_activities: ap.BulkActivityPayload = strawberry.mutation(
        resolver=activities.cancel_activities, description="Cancel open activities (R-ACT-6)."
    )
    reopen_activity: ap.ActivityPayload = strawberry.mutation(
        resolver=activities.reopen_activity,
        description="A completed or canceled activity back to its open state; a sent or received email stays closed.",
    )
    assign_activities: ap.BulkActivityPayload = strawberry.mutation(
        resolver=activities.assign_activities,
        description="Give activities to a user or team (R-ACT-7); closed ones too, their state unchanged.",
    )
    add_note: np.NotePayload = strawberry.mutation(
        resolver=notes_resolvers.add_note,
        description="A note on a record or an activity, open or closed (R-NOTE-1).",
    )
    update_note: np.NotePayload = strawberry.mutation(resolver=notes_resolvers.update_note)
    delete_note: np.DeleteNotePayload = strawberry.mutation(
        resolver=notes_resolvers.delete_note, description="Deletes the note and its attachments."
    )
    add_attachment: np.AttachmentPayload = strawberry.mutation(
        resolver=notes_resolvers.add_attachment,
        description="A file on a note, task, email or appointment (R-ATT-1), as a GraphQL multipart "
                    "request with the header `Apollo-Require-Preflight: true` (CSRF protection).",
    )
    remove_attachment: np.RemoveAttachmentPayload = strawberry.mutation(resolver=notes_resolvers.remove_attachment)
    set_attachment_policy: np.AttachmentPolicyPayload = strawberry.mutation(
        resolver=notes_resolvers.set_attachment_policy,
        description="Administrators only: the largest attachment and the refused file types (R-ATT-1).",
    )
    track_email: tp.TrackEmailPayload = strawberry.mutation(
        resolver=tracking_resolvers.track_email,
        description="Save an email from a mail client, once per message id (R-TRACK-1…5).",
    )
    track_appointment: tp.TrackAppointmentPayload = strawberry.mutation(
        resolver=tracking_resolvers.track_appointment,
        description="Save a meeting from a mail client; saving the same UID again updates it (R-TRACK-3).",
    )
    update_tracked_activity: tp.TrackedActivityPayload = strawberry.mutation(
        resolver=tracking_resolvers.update_tracked_activity,
        description="Relink a tracked email or meeting, change its categories or related contacts (R-TRACK-6).",
    )
    delete_tracked_activity: tp.DeleteTrackedActivityPayload = strawberry.mutation(
        resolver=tracking_resolvers.delete_tracked_activity,
        description="Delete a tracked email or meeting from Relate, with its notes and attachments (R-TRACK-6).",
    )
    import_mail: tp.ImportMailPayload = strawberry.mutation(
        resolver=tracking_resolvers.import_mail,
        description="Track an uploaded .eml email or .ics meetings, as an add-in would (R-TRACK-1).",
    )
    create_sequence: wp.SequencePayload = strawberry.mutation(
        resolver=work_list_resolvers.create_sequence,
        description="Sales managers and administrators: a sequence of steps and waits (R-SEQ-1).",
    )
    connect_sequence: wp.SequenceRunPayload = strawberry.mutation(
        resolver=work_list_resolvers.connect_sequence,
        description="Connect a sequence to a lead or opportunity (one at a time); its first step starts (R-SEQ-1).",
    )
    pause_sequence: wp.SequenceRunPayload = strawberry.mutation(
        resolver=work_list_resolvers.pause_sequence,
        description="Pause a record's sequence: its current step leaves the work list until resumed.",
    )
    resume_sequence: wp.SequenceRunPayload = strawberry.mutation(resolver=work_list_resolvers.resume_sequence)
    disconnect_sequence: wp.SequenceRunPayload = strawberry.mutation(
        resolver=work_list_resolvers.disconnect_sequence,
        description="End a record's sequence; its current step (and its open activity) is canceled.",
    )
    complete_step: wp.StepPayload = strawberry.mutation(
        resolver=step_resolvers.complete_step,
        description="Complete a work-list item, with an optional note; the next step becomes current (R-WL-3).",
    )
    skip_step: wp.StepPayload = strawberry.mutation(
        resolver=step_resolvers.skip_step,
        description="Skip an item: the next step takes its place; a manual activity is canceled (R-WL-3).",
    )
    snooze_step: wp.StepPayload = strawberry.mutation(
        resolver=step_resolvers.snooze_step,
        description="Make a step due later; a manual activity outside a sequence cannot be snoozed (R-WL-3).",
    )
    assign_step: wp.StepPayload = strawberry.mutation(
        resolver=step_resolvers.assign_step, description="Give an item to a user or a team (R-WL-3).",
    )
    call_from_step: wp.StepActivityPayload = strawberry.mutation(
        resolver=step_resolvers.call_from_step,
        description="Call the record's person from an item: the outgoing phone call is linked to the record "
                    "(R-CALL-1).",
    )
    email_from_step: wp.StepActivityPayload = strawberry.mutation(
        resolver=step_resolvers.email_from_step,
        description="Email the record's person from an item, now or at `sendAt` (R-MAIL-1, R-MAIL-2).",
    )
    text_from_step: wp.StepActivityPayload = strawberry.mutation(
        resolver=step_resolvers.text_from_step,
        description="Text the record's person from an item (R-SMS-1).",
    )
    join_meeting_from_step: wp.StepActivityPayload = strawberry.mutation(
        resolver=step_resolvers.join_meeting_from_step,
        description="Open the item's meeting: its link, time and attendees.",
    )
    receive_text_message: wp.ReceiveTextMessagePayload = strawberry.mutation(
        resolver=step_resolvers.receive_text_message,
        description="Record an inbound text reply on the conversation with that number and on its timelines "
                    "(R-SMS-1).",
    )
    create_webhook: hook_payloads.CreateWebhookPayload = strawberry.mutation(
        resolver=webhook_resolvers.create_webhook,
        description="Administrators only: register an endpoint for signed event deliveries (R-LIVE-6). "
                    "The payload's `secret` is shown this once.",
    )
    delete_webhook: hook_payloads.DeleteWebhookPayload = strawberry.mutation(
        resolver=webhook_resolvers.delete_webhook,
        description="Administrators only: stop deliveries and delete the webhook with its delivery log.",
    )
    create_user: user_payloads.UserPayload = strawberry.mutation(
        resolver=user_resolvers.create_user,
        description="Administrators only: add a person (R-ADM-2); the email is unique ignoring case.",
    )
    update_user: user_payloads.UserPayload = strawberry.mutation(
        resolver=user_resolvers.update_user,
        description="Administrators only: change a person's details, unit or roles; the last active system "
                    "administrator keeps the role (LAST_ADMINISTRATOR).",
    )
    deactivate_user: user_payloads.UserPayload = strawberry.mutation(
        resolver=user_resolvers.deactivate_user,
        description="Administrators only: the person's tokens, open websockets and cached answers stop at once; "
                    "their history stays. Never the last active system administrator.",
    )
    activate_user: user_payloads.UserPayload = strawberry.mutation(
        resolver=user_resolvers.activate_user,
        description="Administrators only: let a deactivated person sign in again.",
    )
    reassign_records: user_payloads.ReassignRecordsPayload = strawberry.mutation(
        resolver=user_resolvers.reassign_records,
        description="Administrators only: every open record and activity the user owns goes to another active "
                    "user or team, as one change each (timelines, work lists and live events follow).",
    )
    create_business_unit: org_payloads.BusinessUnitPayload = strawberry.mutation(
        resolver=org_resolvers.create_business_unit, description="Administrators only: a unit under an active one.",
    )
    update_business_unit: org_payloads.BusinessUnitPayload = strawberry.mutation(
        resolver=org_resolvers.update_business_unit,
        description="Administrators only: rename, or move under another unit (cycles refused).",
    )
    deactivate_business_unit: org_payloads.BusinessUnitPayload = strawberry.mutation(
        resolver=org_resolvers.deactivate_business_unit,
        description="Administrators only: refused while the unit has active users, teams or units.",
    )
    activate_business_unit: org_payloads.BusinessUnitPayload = strawberry.mutation(
        resolver=org_resolvers.activate_business_unit, description="Administrators only.",
    )
    create_team: org_payloads.TeamPayload = strawberry.mutation(
        resolver=org_resolvers.create_team, description="Administrators only: a team in an active unit.",
    )
    update_team: org_payloads.TeamPayload = strawberry.mutation(
        resolver=org_resolvers.update_team,
        description="Administrators only: rename, or move to another unit with what the team owns.",
    )
    add_team_members: org_payloads.TeamPayload = strawberry.mutation(
        resolver=org_resolvers.add_team_members, description="Administrators only; members already in stay.",
    )
    remove_team_members: org_payloads.TeamPayload = strawberry.mutation(
        resolver=org_resolvers.remove_team_members, description="Administrators only.",
    )
    copy_role: role_payloads.RolePayload = strawberry.mutation(
        resolver=role_resolvers.copy_role,
        description="Administrators only: a custom role with another role's privileges (built-ins are read-only).",
    )
    update_role_privileges: role_payloads.RolePayload = strawberry.mutation(
        resolver=role_resolvers.update_role_privileges,
        description="Administrators only: set record type × action × depth on a custom role; holders get the "
                    "new rights on their next request and live event.",
    )
    assign_roles: role_payloads.RoleAssignmentPayload = strawberry.mutation(
        resolver=role_resolvers.assign_roles, description="Administrators only: give roles to a user or a team.",
    )
    remove_roles: role_payloads.RoleAssignmentPayload = strawberry.mutation(
        resolver=role_resolvers.remove_roles,
        description="Administrators only: never the last active system administrator's role.",
    )
    share_record: sharing_payloads.ShareRecordPayload = strawberry.mutation(
        resolver=sharing_resolvers.share_record,
        description="Share one record with a user or team (R-ADM-6): it, its timeline and its live events become "
                    "theirs to read as if their role allowed it. Needs assign rights on it, or a grant to share.",
    )
    unshare_record: sharing_payloads.UnshareRecordPayload = strawberry.mutation(
        resolver=sharing_resolvers.unshare_record,
        description="Stop sharing at once: lists, node, timelines and counts drop it on the next request, and "
                    "their open subscriptions to it end with ACCESS_REVOKED.",
    )
    delete_records: recycle_payloads.RecycleBinPayload = strawberry.mutation(
        resolver=recycle_resolvers.delete_records,
        description="Move records to the recycle bin (R-QRY-4): hidden everywhere, off every timeline, "
                    "restorable for RELATE_RECYCLE_BIN_DAYS. Needs the delete right on each; one result per id.",
    )
    delete_activities: recycle_payloads.RecycleBinPayload = strawberry.mutation(
        resolver=recycle_resolvers.delete_activities,
        description="Move activities (with their notes) to the recycle bin (R-QRY-4); one result per id.",
    )
    restore: recycle_payloads.RecycleBinPayload = strawberry.mutation(
        resolver=recycle_resolvers.restore,
        description="Bring deleted records or activities back, on every timeline they were on (R-QRY-4).",
    )
    merge_records: recycle_payloads.MergeRecordsPayload = strawberry.mutation(
        resolver=recycle_resolvers.merge_records,
        description="Merge two accounts, contacts or leads (R-QRY-3): the survivor takes the other's activities, "
                    "notes, contacts, opportunities, cases and shares, its timelines are recomputed, and the other "
                    "becomes INACTIVE with `mergedInto`. All or nothing; write rights on both.",
    )
    update_my_profile: self_payloads.MyProfilePayload = strawberry.mutation(
        resolver=self_service_resolvers.update_my_profile,
        description="Your own phones, time zone and working hours (R-AUTH-2); hours decide R-TRACK-3.",
    )
    create_my_token: self_payloads.CreateMyTokenPayload = strawberry.mutation(
        resolver=self_service_resolvers.create_my_token,
        description="A personal bearer token; the payload's `secret` is shown this once.",
    )
    revoke_my_token: self_payloads.RevokeMyTokenPayload = strawberry.mutation(
        resolver=self_service_resolvers.revoke_my_token, description="One of your tokens stops working at once.",
    )
