"""A GraphQL client over the real ASGI app, acting as one of the test users."""

from __future__ import annotations

from typing import Any

import httpx

from resolvers.ids import to_global_id


class GraphQLFailed(AssertionError):
    pass


class Api:
    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
        self.http = http
        self.tokens = tokens

    async def post(self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None = "admin",
                   headers: dict[str, str] | None = None) -> httpx.Response:
        sent = dict(headers or {})
        if as_ is not None:
            sent["Authorization"] = f"Bearer {self.tokens[as_]}"
        return await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=sent)

    async def raw(self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None = "admin") -> dict[str, Any]:
        """The whole response body; asserts HTTP 200 (errors are data, never a 500)."""
        response = await self.post(query, variables, as_=as_)
        assert response.status_code == 200, response.text
        return response.json()

    async def __call__(self, query: str, variables: dict[str, Any] | None = None, *, as_: str | None = "admin") -> dict[str, Any]:
        """`data` of a query that must succeed without top-level errors."""
        body = await self.raw(query, variables, as_=as_)
        if body.get("errors"):
            raise GraphQLFailed(body["errors"])
        return body["data"]

    async def mutate(self, name: str, input: dict[str, Any], selection: str, *, as_: str = "admin") -> dict[str, Any]:
        """Run `name(input:)` and return its payload (with `errors` always selected)."""
        query = f"mutation($input: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $input) {{ errors {{ code message field }} {selection} }} }}"
        data = await self(query, {"input": input}, as_=as_)
        return data[name]

    async def ok(self, name: str, input: dict[str, Any], selection: str, *, as_: str = "admin") -> dict[str, Any]:
        """Like `mutate`, but the payload must carry no errors."""
        payload = await self.mutate(name, input, selection, as_=as_)
        assert payload["errors"] == [], payload["errors"]
        return payload


def gid(type_name: str, raw: Any) -> str:
    return to_global_id(type_name, raw)
