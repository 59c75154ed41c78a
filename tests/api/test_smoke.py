"""The app answers, authenticates, and reports who you are."""

from __future__ import annotations

from tests.support.client import Api


async def test_viewer_names_the_signed_in_user(api: Api) -> None:
    data = await api("{ viewer { user { fullName email } roles } }", as_="sales1")
    assert data["viewer"] == {"user": {"fullName": "Sam Seller", "email": "sales1@test.relate"},
                              "roles": ["salesperson"]}


async def test_no_token_is_refused_with_a_typed_error(api: Api) -> None:
    body = await api.raw("{ viewer { user { fullName } } }", as_=None)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_database_failure_during_authentication_is_a_typed_error_not_a_500(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from graph.db import Database
    from server.app import create_app
    from tests.support.databases import test_settings

    db = Database.connect(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")
    app = create_app(test_settings(), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        response = await http.post("/graphql", json={"query": "{ viewer { user { fullName } } }"},
                                   headers={"Authorization": "Bearer rel_whatever"})
    await db.dispose()
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert "Traceback" not in response.text
