"""The organisation and the targets of the authorization matrix (tests/security/test_matrix.py).

Four viewers, all in unit Sales and all members of team "Inside Sales": `admin`
(system_administrator), `manager` (sales_manager), `sales` (salesperson) and `norole`.
For every viewer the five ownerships name the same kind of owner:

    own   the viewer          team   Inside Sales (the viewer is a member)
    unit  `peer`, a user of Sales who is not the viewer
    child `west`, in Sales West (below Sales)
    other `service`, in Service (beside Sales)

The custom-role and sharing matrix (`test_r_adm_5_6_custom_role_and_sharing_have_no_leak`)
adds `custom`, a user of Sales in the team whose only role is a copy of salesperson that
reads at BUSINESS_UNIT depth (its own unit, not the one below), made through the API; and
three sharing ownerships, each with an owner of its own in Service so that a report
filtered by owner counts only that ownership's targets:

    shared_read   shared with the viewer, read only      (`service_read`)
    shared_write  shared with the viewer, read and write (`service_write`)
    unshared      shared with the viewer, then unshared  (`service_unshared`)

Targets are made through the API by the administrator (batched with aliases) with the
owner of their ownership, one per (viewer, ownership) and operation, so that a write
allowed for one case never changes what another case sees.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update

from graph.commands.setup import add_business_unit, add_team, add_user
from graph.commands.tokens import create_token
from graph.db import Database
from graph.models import Note, TimelineEntry, utcnow
from resolvers.ids import parse_global_id, to_global_id
from tests.support.client import Api

VIEWERS = {"admin": ["system_administrator"], "manager": ["sales_manager"], "sales": ["salesperson"], "norole": []}
OWNERSHIPS = ("own", "team", "unit", "child", "other")
HOURS = {d: ["00:00", "23:59"] for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")}
CUSTOM_VIEWERS = {"custom": []}  # their role is made through the API (`custom_role`)
SHARINGS = ("shared_read", "shared_write", "unshared")
SHARE_RIGHTS = {"shared_read": ["READ"], "shared_write": ["READ", "WRITE"], "unshared": ["READ"]}
OTHERS = {"peer": ("sales", ["salesperson"]), "west": ("west", ["salesperson"]), "service": ("service", ["salesperson"]),
          **{f"service_{s.removeprefix('shared_')}": ("service", ["salesperson"]) for s in SHARINGS}}
OWNER_OF = {"unit": "peer", "child": "west", "other": "service",
            **{s: f"service_{s.removeprefix('shared_')}" for s in SHARINGS}}
CUSTOM_READ_DEPTH = "BUSINESS_UNIT"
SECURED_TYPES = ("ACCOUNT", "CONTACT", "LEAD", "OPPORTUNITY", "CASE", "ACTIVITY", "NOTE")
START, END = "2031-03-03T10:00:00+00:00", "2031-03-03T11:00:00+00:00"


@dataclass
class World:
    db: Database
    api: Api
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    units: dict[str, uuid.UUID] = field(default_factory=dict)
    team_id: uuid.UUID | None = None
    shared: dict[str, str] = field(default_factory=dict)
    node_ids: dict[str, str] = field(default_factory=dict)
    counter: int = 0

    def user_gid(self, key: str) -> str:
        return to_global_id("User", self.users[key])

    def owner_gid(self, viewer: str, ownership: str) -> str:
        if ownership == "team":
            assert self.team_id is not None
            return to_global_id("Team", self.team_id)
        return self.user_gid(viewer if ownership == "own" else OWNER_OF[ownership])

    def owner_uuid(self, viewer: str, ownership: str) -> uuid.UUID:
        parsed = parse_global_id(self.owner_gid(viewer, ownership))
        assert parsed is not None
        return parsed[1]

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


async def build_world(db: Database, api: Api) -> World:
    world = World(db, api)
    now = utcnow()
    async with db.unit_of_work() as session:
        root = await add_business_unit(session, "Root", None)
        sales = await add_business_unit(session, "Sales", root.id)
        west = await add_business_unit(session, "Sales West", sales.id)
        service = await add_business_unit(session, "Service", root.id)
        world.units = {"root": root.id, "sales": sales.id, "west": west.id, "service": service.id}
        people = {**{k: ("sales", r) for k, r in {**VIEWERS, **CUSTOM_VIEWERS}.items()}, **OTHERS}
        for key, (unit, roles) in people.items():
            user = await add_user(session, name=f"{key.title()} Person", email=f"{key}@matrix.relate",
                                  unit_id=world.units[unit], roles=roles, now=now, business_phone="+1 555 0100",
                                  working_hours=HOURS)
            world.users[key] = user.id
            api.tokens[key] = await create_token(session, f"{key}@matrix.relate", now)
        team = await add_team(session, name="Inside Sales", unit_id=sales.id, now=now,
                              member_ids=[world.users[k] for k in (*VIEWERS, *CUSTOM_VIEWERS)])
        world.team_id = team.id
    customer = await create_many(api, [("createAccount", {"name": "Shared Customer"}, "account")])
    world.shared["customer"] = customer[0]
    await custom_role(api, world)
    return world


async def custom_role(api: Api, world: World) -> None:
    """A copy of salesperson that reads only its holder's own unit, given to `custom` (R-ADM-5),
    all through the API as an administrator would."""
    roles = {r["name"]: r["id"] for r in (await api("{ roles { id name } }"))["roles"]}
    copied = await api.ok("copyRole", {"roleId": roles["salesperson"], "name": "Unit reader"}, "role { id }")
    role_id = copied["role"]["id"]
    await api.ok("updateRolePrivileges", {"roleId": role_id, "privileges": [
        {"recordType": t, "action": "READ", "depth": CUSTOM_READ_DEPTH} for t in SECURED_TYPES]}, "role { id }")
    for viewer in CUSTOM_VIEWERS:
        await api.ok("assignRoles", {"principalId": world.user_gid(viewer), "roleIds": [role_id]},
                     "principal { __typename }")


def gid_type(global_id: str) -> str:
    parsed = parse_global_id(global_id)
    assert parsed is not None, global_id
    return parsed[0]


def missing_like(global_id: str) -> str:
    """An id of the same type that names nothing."""
    return to_global_id(gid_type(global_id), uuid.uuid4())


async def create_many(api: Api, items: list[tuple[str, dict[str, Any], str]], *, as_: str = "admin",
                      chunk: int = 20) -> list[str]:
    """Run many create mutations as aliases of few requests; returns the created ids in order."""
    found: list[str] = []
    for start in range(0, len(items), chunk):
        part = items[start:start + chunk]
        declared = ", ".join(f"$i{n}: {name[0].upper()}{name[1:]}Input!" for n, (name, _, _) in enumerate(part))
        fields = " ".join(f"m{n}: {name}(input: $i{n}) {{ errors {{ code message field }} {result} {{ id }} }}"
                          for n, (name, _, result) in enumerate(part))
        data = await api(f"mutation({declared}) {{ {fields} }}", {f"i{n}": v for n, (_, v, _) in enumerate(part)},
                         as_=as_)
        for n, (name, _, result) in enumerate(part):
            payload = data[f"m{n}"]
            assert payload["errors"] == [], (name, payload["errors"])
            found.append(payload[result]["id"])
    return found


async def run_many(api: Api, items: list[tuple[str, dict[str, Any]]], selection: str = "", *,
                   as_: str = "admin", chunk: int = 20) -> list[dict[str, Any]]:
    """Run mutations as aliases (no result id wanted); every payload must be free of errors."""
    payloads: list[dict[str, Any]] = []
    for start in range(0, len(items), chunk):
        part = items[start:start + chunk]
        declared = ", ".join(f"$i{n}: {name[0].upper()}{name[1:]}Input!" for n, (name, _) in enumerate(part))
        fields = " ".join(f"m{n}: {name}(input: $i{n}) {{ errors {{ code message field }} {selection} }}"
                          for n, (name, _) in enumerate(part))
        data = await api(f"mutation({declared}) {{ {fields} }}", {f"i{n}": v for n, (_, v) in enumerate(part)},
                         as_=as_)
        for n, (name, _) in enumerate(part):
            assert data[f"m{n}"]["errors"] == [], (name, data[f"m{n}"]["errors"])
            payloads.append(data[f"m{n}"])
    return payloads


@dataclass(frozen=True)
class Target:
    id: str
    key: str | None = None  # a message id, phone number… for operations that look up by it


Cases = dict[tuple[str, str], Target]


def tiny_png() -> bytes:
    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )


class Factory:
    """Makes one target per (viewer, ownership) of a kind, owned as the ownership says."""

    def __init__(self, world: World, viewers: tuple[str, ...] = tuple(VIEWERS),
                 ownerships: tuple[str, ...] = OWNERSHIPS) -> None:
        self.world = world
        self.viewers, self.ownerships = viewers, ownerships
        self.sequences: dict[str, str] = {}

    async def make(self, kind: str) -> Cases:
        keys = [(v, o) for v in self.viewers for o in self.ownerships]
        maker = getattr(self, f"_{kind}")
        targets = await maker(keys)
        await self._share(keys, targets)
        return dict(zip(keys, targets, strict=True))

    async def _share(self, keys: list[tuple[str, str]], targets: list[Target]) -> None:
        """Share each sharing ownership's target with its viewer (R-ADM-6); unshare `unshared`."""
        shares = [(k, t) for k, t in zip(keys, targets, strict=True) if k[1] in SHARINGS]
        if not shares:
            return
        await run_many(self.world.api, [("shareRecord", {"recordId": t.id, "principalId": self.world.user_gid(k[0]),
                                                         "rights": SHARE_RIGHTS[k[1]]}) for k, t in shares])
        await run_many(self.world.api, [("unshareRecord", {"recordId": t.id, "principalId": self.world.user_gid(k[0])})
                                        for k, t in shares if k[1] == "unshared"])

    def _owner(self, key: tuple[str, str]) -> str:
        return self.world.owner_gid(*key)

    async def _simple(self, keys: list[tuple[str, str]], mutation: str, result: str,
                      values: Any) -> list[Target]:
        items = [(mutation, {**values(k), "ownerId": self._owner(k)}, result) for k in keys]
        return [Target(i) for i in await create_many(self.world.api, items)]

    async def _account(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._simple(keys, "createAccount", "account",
                                  lambda k: {"name": f"Mx account {k[0]} {k[1]}", "email": f"{k[0]}.{k[1]}@mx.example",
                                             "acknowledgeWarnings": True})

    async def _inactive_account(self, keys: list[tuple[str, str]]) -> list[Target]:
        targets = await self._account(keys)
        await run_many(self.world.api, [("deactivateRecord", {"id": t.id}) for t in targets])
        return targets

    async def _shared_account(self, keys: list[tuple[str, str]]) -> list[Target]:
        """Accounts shared with `peer` (R-ADM-6), for unshareRecord."""
        targets = await self._account(keys)
        peer = self.world.user_gid("peer")
        await run_many(self.world.api, [("shareRecord", {"recordId": t.id, "principalId": peer}) for t in targets])
        return targets

    async def _contact(self, keys: list[tuple[str, str]]) -> list[Target]:
        emails = [f"c.{k[0]}.{k[1]}.{self.world.unique('n')}@mx.example" for k in keys]
        items = [("createContact", {"firstName": "Mx", "lastName": f"{k[0]} {k[1]}", "businessPhone": "+1 555 0111",
                                    "mobilePhone": "+1 555 0112", "email": email, "ownerId": self._owner(k),
                                    "acknowledgeWarnings": True}, "contact")
                 for k, email in zip(keys, emails, strict=True)]
        ids = await create_many(self.world.api, items)
        return [Target(i, e) for i, e in zip(ids, emails, strict=True)]

    async def _lead(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._simple(keys, "createLead", "lead", lambda k: {
            "topic": f"Mx lead {k[0]} {k[1]}", "lastName": f"{k[0]} {k[1]}", "businessPhone": "+1 555 0121",
            "mobilePhone": "+1 555 0122", "email": f"l.{k[0]}.{k[1]}@mx.example", "acknowledgeWarnings": True})

    async def _opportunity(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._simple(keys, "createOpportunity", "opportunity",
                                  lambda k: {"topic": f"Mx deal {k[0]} {k[1]}", "customerId": self.world.shared["customer"]})

    async def _case(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._simple(keys, "createCase", "case",
                                  lambda k: {"title": f"Mx case {k[0]} {k[1]}", "customerId": self.world.shared["customer"]})

    async def _task(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._simple(keys, "createTask", "task", lambda k: {"subject": f"Mx task {k[0]} {k[1]}"})

    async def _deleted_task(self, keys: list[tuple[str, str]]) -> list[Target]:
        """Tasks in the recycle bin (R-QRY-4), for restore and deletedItems."""
        targets = await self._task(keys)
        await run_many(self.world.api, [("deleteActivities", {"ids": [t.id for t in targets]})])
        return targets

    async def _completed_task(self, keys: list[tuple[str, str]]) -> list[Target]:
        targets = await self._task(keys)
        await run_many(self.world.api, [("completeActivities", {"ids": [t.id for t in targets]})])
        return targets

    async def _phone_call(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._simple(keys, "logPhoneCall", "phoneCall", lambda k: {
            "subject": f"Mx call {k[0]} {k[1]}", "phoneNumber": "+1 555 0131", "state": "OPEN"})

    async def _email(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._simple(keys, "sendEmail", "email", lambda k: {
            "subject": f"Mx mail {k[0]} {k[1]}", "to": [{"address": "someone@mx.example"}]})

    async def _appointment(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._simple(keys, "createAppointment", "appointment",
                                  lambda k: {"subject": f"Mx meeting {k[0]} {k[1]}", "start": START, "end": END})

    async def _text_message(self, keys: list[tuple[str, str]]) -> list[Target]:
        numbers = [f"+1 555 7{n:03d}{self.world.unique('')[-3:].zfill(3)}" for n in range(len(keys))]
        items = [("sendTextMessage", {"text": f"Mx text {k[0]} {k[1]}", "phoneNumber": number,
                                      "ownerId": self._owner(k)}, "textMessage") for k, number in zip(keys, numbers, strict=True)]
        ids = await create_many(self.world.api, items)
        return [Target(i, number) for i, number in zip(ids, numbers, strict=True)]

    async def _note(self, keys: list[tuple[str, str]]) -> list[Target]:
        """Notes are owned by their author; made by the administrator, then given their owner."""
        items = [("addNote", {"recordId": self.world.shared["customer"], "title": f"Mx note {k[0]} {k[1]}"}, "note")
                 for k in keys]
        ids = await create_many(self.world.api, items)
        async with self.world.db.unit_of_work() as session:
            for key, note_id in zip(keys, ids, strict=True):
                owner = self.world.owner_uuid(*key)
                unit = self.world.units["sales"] if key[1] in ("own", "team", "unit") else \
                    self.world.units["west" if key[1] == "child" else "service"]
                raw = parse_global_id(note_id)[1]  # type: ignore[index]
                values = {"owner_id": owner, "owning_business_unit_id": unit}
                await session.execute(update(Note).where(Note.id == raw).values(**values))
                await session.execute(update(TimelineEntry).where(TimelineEntry.entry_id == raw).values(**values))
        return [Target(i) for i in ids]

    async def _attachment(self, keys: list[tuple[str, str]]) -> list[Target]:
        tasks = await self._task(keys)
        found = []
        for task in tasks:
            found.append(Target(await upload(self.world.api, task.id), task.id))
        return found

    async def _tracked_email(self, keys: list[tuple[str, str]]) -> list[Target]:
        message_ids = [f"<{self.world.unique('mx')}@mx.example>" for _ in keys]
        items = [("trackEmail", {"messageId": m, "subject": "Mx tracked", "from": "customer@mx.example",
                                 "to": ["admin@matrix.relate"]}, "email") for m in message_ids]
        ids = await create_many(self.world.api, items)
        await run_many(self.world.api, [("assignActivities", {"ids": [i], "ownerId": self._owner(k)})
                                        for i, k in zip(ids, keys, strict=True)])
        return [Target(i, m) for i, m in zip(ids, message_ids, strict=True)]

    async def sequence(self, kind: str) -> str:
        if kind not in self.sequences:
            name = self.world.unique(f"Mx {kind} ")
            ids = await create_many(self.world.api, [("createSequence", {
                "name": name, "steps": [{"kind": kind, "subject": f"{kind} step"}, {"kind": "TASK", "subject": "then"}]},
                "sequence")])
            self.sequences[kind] = ids[0]
        return self.sequences[kind]

    async def _connected(self, keys: list[tuple[str, str]], kind: str) -> list[Target]:
        leads = await self._lead(keys)
        sequence = await self.sequence(kind)
        await run_many(self.world.api, [("connectSequence", {"sequenceId": sequence, "recordId": lead.id})
                                        for lead in leads])
        return leads

    async def _connected_lead(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._connected(keys, "TASK")

    async def _paused_lead(self, keys: list[tuple[str, str]]) -> list[Target]:
        leads = await self._connected(keys, "TASK")
        await run_many(self.world.api, [("pauseSequence", {"recordId": lead.id}) for lead in leads])
        return leads

    async def _steps(self, keys: list[tuple[str, str]], kind: str) -> list[Target]:
        leads = await self._connected(keys, kind)
        declared = ", ".join(f"$r{n}: ID!" for n in range(len(leads)))
        fields = " ".join(f"u{n}: upNext(recordId: $r{n}) {{ current {{ id }} }}" for n in range(len(leads)))
        data = await self.world.api(f"query({declared}) {{ {fields} }}", {f"r{n}": lead.id for n, lead in enumerate(leads)})
        return [Target(data[f"u{n}"]["current"]["id"], lead.id) for n, lead in enumerate(leads)]

    async def _task_step(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._steps(keys, "TASK")

    async def _call_step(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._steps(keys, "PHONE_CALL")

    async def _email_step(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._steps(keys, "EMAIL")

    async def _text_step(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._steps(keys, "TEXT_MESSAGE")

    async def _meeting_step(self, keys: list[tuple[str, str]]) -> list[Target]:
        return await self._steps(keys, "MEETING")


UPLOAD = """mutation($input: AddAttachmentInput!) { addAttachment(input: $input) {
  errors { code message field } attachment { id } } }"""


async def post_file(api: Api, query: str, variables: dict[str, Any], path: list[str], name: str, data: bytes,
                    as_: str) -> dict[str, Any]:
    """A GraphQL multipart request (with the CSRF preflight header); the response body."""
    operations = {"query": query, "variables": variables}
    response = await api.http.post(
        "/graphql", headers={"Authorization": f"Bearer {api.tokens[as_]}", "Apollo-Require-Preflight": "true"},
        data={"operations": json.dumps(operations), "map": json.dumps({"0": [".".join(["variables", *path])]})},
        files={"0": (name, data, "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def upload(api: Api, activity_id: str, as_: str = "admin") -> str:
    body = await post_file(api, UPLOAD, {"input": {"file": None, "activityId": activity_id}}, ["input", "file"],
                           "pixel.png", tiny_png(), as_)
    payload = body["data"]["addAttachment"]
    assert payload["errors"] == [], payload
    return str(payload["attachment"]["id"])
