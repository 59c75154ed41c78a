"""Sequences, work-list items and "up next" (R-SEQ-1, R-WL-1, R-WL-2).

A work-list item is named by its activity's id: the step actions take that id, and
`node(id)` gives the activity. Related objects (record, owner, sequence) come from
loaders, already loaded when a page prefetched them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from graph import models
from graph.rules import sequences as rules
from resolvers.context import Info, now_or_later
from resolvers.ids import to_global_id
from schema.types.activities import GRAPHQL_NAMES, Activity, Priority, activity_node
from schema.types.node import Node
from schema.types.principals import Principal
from schema.types.records import Record


@strawberry.enum(description="What a step asks for (R-SEQ-1). WAIT only in a sequence's definition: the time "
                             "before the next step is due.")
class StepKind(Enum):
    EMAIL = "EMAIL"
    PHONE_CALL = "PHONE_CALL"
    MEETING = "MEETING"
    TEXT_MESSAGE = "TEXT_MESSAGE"
    TASK = "TASK"
    WAIT = "WAIT"


@strawberry.enum(description="OPEN: current. A skipped step is SKIPPED; a skipped manual activity CANCELED.")
class WorkItemState(Enum):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"
    SKIPPED = "SKIPPED"
    CANCELED = "CANCELED"


@strawberry.enum(description="A sequence connected to a record: ACTIVE or PAUSED while connected; "
                             "COMPLETED or DISCONNECTED once over.")
class SequenceRunState(Enum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    DISCONNECTED = "DISCONNECTED"


@strawberry.type(description="One step of a sequence's definition.")
class SequenceStepDefinition:
    position: int = strawberry.field(description="1-based, waits included.")
    kind: StepKind
    subject: str | None
    instructions: str | None
    priority: Priority
    wait_minutes: int | None = strawberry.field(description="WAIT steps: minutes before the next step is due.")

    @classmethod
    def from_row(cls, row: models.SequenceStep) -> SequenceStepDefinition:
        return cls(position=row.position, kind=StepKind(row.kind), subject=row.subject,
                   instructions=row.instructions, priority=Priority(row.priority), wait_minutes=row.wait_minutes)


@strawberry.type(description="A manager's sequence of steps (R-SEQ-1).")
class Sequence(Node):
    name: str
    description: str | None
    is_active: bool
    activity_step_count: int = strawberry.field(description="Steps that are work (waits not counted).")
    created_on: datetime
    steps: list[SequenceStepDefinition]


def sequence_node(row: models.Sequence, steps: list[models.SequenceStep]) -> Sequence:
    return Sequence(id=strawberry.ID(to_global_id("Sequence", row.id)), name=row.name,
                    description=row.description, is_active=row.state == "ACTIVE",
                    activity_step_count=row.activity_step_count, created_on=row.created_on,
                    steps=[SequenceStepDefinition.from_row(s) for s in steps])


@strawberry.type(description="A work-list item (R-WL-1): a sequence step's activity, or a manual open activity "
                             "about a record. `id` is the activity's id; the step actions take it.")
class WorkItem:
    id: strawberry.ID
    kind: StepKind
    subject: str
    instructions: str | None = strawberry.field(description="The step's instructions; for a manual activity, "
                                                            "its description.")
    due: datetime | None
    priority: Priority
    state: WorkItemState
    is_manual: bool = strawberry.field(description="True for an activity outside any sequence.")
    position: int | None = strawberry.field(description="The step's place in its sequence (1-based, waits "
                                                         "included); null for a manual activity.")
    snooze_count: int
    started_on: datetime | None
    ended_on: datetime | None
    activity: Activity
    owner_id: strawberry.Private[uuid.UUID]
    record_id: strawberry.Private[uuid.UUID | None]
    sequence_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Who has the item: the activity's owner (R-WL-4).")
    def owner(self, info: Info) -> Principal | None:
        return now_or_later(info.context.loaders.principal_by_id, self.owner_id)

    @strawberry.field
    def record(self, info: Info) -> Record | None:
        return now_or_later(info.context.loaders.record_by_id, self.record_id)

    @strawberry.field
    def sequence(self, info: Info) -> Sequence | None:
        return now_or_later(info.context.loaders.sequence_by_id, self.sequence_id)


def work_item(activity: models.Activity, step: models.RecordStep | None, sequence_id: uuid.UUID | None) -> WorkItem:
    kind = step.kind if step is not None else rules.KIND_OF_ACTIVITY[activity.type]
    return WorkItem(
        id=strawberry.ID(to_global_id(GRAPHQL_NAMES[activity.type], activity.id)), kind=StepKind(kind),
        subject=activity.subject, instructions=activity.description, due=activity.due,
        priority=Priority(activity.priority),
        state=WorkItemState(rules.item_state(step.state if step else None, activity.state)),
        is_manual=step is None, position=step.position if step else None,
        snooze_count=step.snooze_count if step else 0,
        started_on=step.started_on if step else activity.created_on,
        ended_on=step.ended_on if step else activity.actual_end,
        activity=activity_node(activity), owner_id=activity.owner_id, record_id=activity.regarding_id,
        sequence_id=sequence_id,
    )


@strawberry.type(description="A step after the current one (R-WL-2): not started, so no activity yet. WAIT "
                              "steps are listed too, so positions run on without gaps.")
class UpcomingStep:
    position: int = strawberry.field(description="1-based, waits included (as WorkItem.position).")
    kind: StepKind
    subject: str | None = strawberry.field(description="Null for a WAIT step.")
    instructions: str | None
    priority: Priority
    wait_minutes: int | None = strawberry.field(description="How long a WAIT step waits; null for the others.")
    expected_due: datetime = strawberry.field(
        description="If every step before it is done when due; for a WAIT step, when the wait is over.")
    owner_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The record's owner: whoever owns the record when the step starts (R-WL-4); "
                                  "null for a WAIT step.")
    def owner(self, info: Info) -> Principal | None:
        if self.owner_id is None:
            return None
        return now_or_later(info.context.loaders.principal_by_id, self.owner_id)


@strawberry.type(description="Up next for one record (R-WL-2).")
class UpNext:
    record_id: strawberry.Private[uuid.UUID]
    sequence_id: strawberry.Private[uuid.UUID | None]
    sequence_state: SequenceRunState | None = strawberry.field(
        description="The state of the record's sequence (the connected one, else the last one); null if none.")
    current: WorkItem | None = strawberry.field(
        description="The sequence's current step; without one, the record's first open manual activity.")
    upcoming: list[UpcomingStep] = strawberry.field(description="The sequence's steps after the current one.")
    completed: list[WorkItem] = strawberry.field(description="The sequence's completed and skipped steps.")
    manual: list[WorkItem] = strawberry.field(description="Open activities about the record outside any "
                                                          "sequence, soonest due first.")

    @strawberry.field
    def record(self, info: Info) -> Record | None:
        return now_or_later(info.context.loaders.record_by_id, self.record_id)

    @strawberry.field
    def sequence(self, info: Info) -> Sequence | None:
        return now_or_later(info.context.loaders.sequence_by_id, self.sequence_id)


@strawberry.type(description="One record on your work list, with its current item (R-WL-1).")
class WorkListEntry:
    current: WorkItem

    @strawberry.field
    def record(self, info: Info) -> Record | None:
        return now_or_later(info.context.loaders.record_by_id, self.current.record_id)


WORK_LIST_TYPES: list[type] = [Sequence]
