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
