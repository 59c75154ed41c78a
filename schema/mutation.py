"""The Mutation root: each field takes one `input` and returns a payload with `errors`."""

from __future__ import annotations

import strawberry

from resolvers import activities, records
from schema.payloads import activities as ap
from schema.payloads import records as rp


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
    create_task: ap.TaskPayload = strawberry.mutation(
        resolver=activities.create_task, description="A task about a record, or a personal one (no regardingId)."
    )
