from __future__ import annotations
import httpx
from bench.datagen import TimelineShape, load_timeline
from resolvers.ids import parse_global_id
from server.app import create_app
from tests.support.client import Api, gid

FIELDS = "id type subject state createdOn description owner { ... on User { id fullName } } createdBy { ... on User { id fullName } }"
ROLLUP = f"query($id: ID!) {{ timeline(recordId: $id, first: 50) {{ totalCount nodes {{ ... on Activity {{ {FIELDS} }} }} }} }}"
PLAIN = f"query($owner: ID!) {{ activities(filter: {{ownerIds: [$owner]}}, orderBy: [{{field: CREATED_ON, direction: ASC}}], first: 50) {{ nodes {{ {FIELDS} }} pageInfo {{ hasNextPage endCursor }} edges {{ cursor }} }} }}"

async def test_smoke(api, db, org, settings):
    account = (await api.ok("createAccount", {"name": "Import Sports"}, "account { id }"))["account"]["id"]
    await load_timeline(db, TimelineShape(activities=80, contacts=5), account_id=parse_global_id(account)[1],
                        owners=[org.users[o] for o in ("sales1", "sales2", "manager")])
    off = create_app(settings.model_copy(update={"compiled_reads": False}), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=off), base_url="http://t") as h:
        ref = Api(h, org.tokens)
        for q, v in ((ROLLUP, {"id": account}), (PLAIN, {"owner": gid("User", org.users["sales1"])})):
            for who in ("sales1", "manager", "admin", "service"):
                a1 = await api.raw(q, v, as_=who)
                a2 = await api.raw(q, v, as_=who)
                b = await ref.raw(q, v, as_=who)
                compiled = api.http._transport.app.state.response_cache.app
                print(who, compiled.planner and compiled.planner._plans.keys(), str(a2)[:300])
                assert a1 == b
                assert a2 == b, (a2, b)
