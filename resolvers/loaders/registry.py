"""The set of loaders one request gets."""

from __future__ import annotations

from dataclasses import dataclass

from graph.db import Database
from graph.rules.access import Scope
from resolvers.loaders.activity_by_id import ActivityByIdLoader
from resolvers.loaders.attachments_by_owner import AttachmentsByOwnerLoader
from resolvers.loaders.business_unit_by_id import BusinessUnitByIdLoader
from resolvers.loaders.custom_fields_by_type import CustomFieldsByTypeLoader
from resolvers.loaders.members_by_team import MembersByTeamLoader
from resolvers.loaders.note_by_id import NoteByIdLoader
from resolvers.loaders.notes_by_activity import NotesByActivityLoader
from resolvers.loaders.principal_by_id import PrincipalByIdLoader
from resolvers.loaders.privileges_by_role import PrivilegesByRoleLoader
from resolvers.loaders.record_by_id import RecordByIdLoader
from resolvers.loaders.roles_by_user import RolesByUserLoader
from resolvers.loaders.sequence_by_id import SequenceByIdLoader
from resolvers.loaders.teams_by_user import TeamsByUserLoader


@dataclass
class Loaders:
    principal_by_id: PrincipalByIdLoader
    record_by_id: RecordByIdLoader
    activity_by_id: ActivityByIdLoader
    note_by_id: NoteByIdLoader
    notes_by_activity: NotesByActivityLoader
    attachments_by_owner: AttachmentsByOwnerLoader
    sequence_by_id: SequenceByIdLoader
    business_unit_by_id: BusinessUnitByIdLoader
    roles_by_user: RolesByUserLoader
    teams_by_user: TeamsByUserLoader
    members_by_team: MembersByTeamLoader
    privileges_by_role: PrivilegesByRoleLoader
    custom_fields_by_type: CustomFieldsByTypeLoader

    @classmethod
    def for_viewer(cls, db: Database, scope: Scope) -> Loaders:
        return cls(
            principal_by_id=PrincipalByIdLoader(db),
            record_by_id=RecordByIdLoader(db, scope),
            activity_by_id=ActivityByIdLoader(db, scope),
            note_by_id=NoteByIdLoader(db, scope),
            notes_by_activity=NotesByActivityLoader(db, scope),
            attachments_by_owner=AttachmentsByOwnerLoader(db),
            sequence_by_id=SequenceByIdLoader(db),
            business_unit_by_id=BusinessUnitByIdLoader(db),
            roles_by_user=RolesByUserLoader(db),
            teams_by_user=TeamsByUserLoader(db),
            members_by_team=MembersByTeamLoader(db),
            privileges_by_role=PrivilegesByRoleLoader(db),
            custom_fields_by_type=CustomFieldsByTypeLoader(db),
        )
