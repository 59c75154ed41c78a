"""The Query root: binds each field to its resolver in `resolvers/`."""

from __future__ import annotations

import strawberry

from resolvers import nodes, records
from schema.types.connection import Connection
from schema.types.node import Node
from schema.types.principals import Viewer
from schema.types.records import Account, Contact, Record


@strawberry.type
class Query:
    viewer: Viewer = strawberry.field(resolver=nodes.viewer, description="The signed-in user.")
    node: Node | None = strawberry.field(resolver=nodes.node, description="Anything by global id; null if missing or not yours to read.")
    nodes: list[Node | None] = strawberry.field(resolver=nodes.nodes, description="Several objects by global id, in the order asked.")
    accounts: Connection[Account] = strawberry.field(resolver=records.accounts)
    contacts: Connection[Contact] = strawberry.field(resolver=records.contacts)
    quick_find: list[Record] = strawberry.field(
        resolver=records.quick_find,
        description="One search over names, emails and phone numbers of every record you may read (R-REC-4).",
    )
