"""Self-service (R-AUTH-2): a signed-in user edits their own details and manages their own
tokens; a secret is shown once and never listed; nobody reaches another person's tokens."""

from __future__ import annotations

from graph.db import Database
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import table_counts

TOKENS = "{ myTokens { id label createdOn } }"


async def test_a_user_edits_their_own_phones_zone_and_hours(api: Api, org: Org) -> None:
    payload = await api.ok("updateMyProfile", {"mobilePhone": "+33 6 12 34 56 78", "businessPhone": "",
                                               "timeZone": "Europe/Paris",
                                               "workingHours": [{"day": "FRIDAY", "start": "09:00", "end": "13:00"}]},
                           "user { mobilePhone businessPhone timeZone workingHours { day start end } }", as_="norole")
    assert payload["user"] == {"mobilePhone": "+33 6 12 34 56 78", "businessPhone": None, "timeZone": "Europe/Paris",
                               "workingHours": [{"day": "FRIDAY", "start": "09:00", "end": "13:00"}]}
    seen = await api("{ viewer { user { timeZone mobilePhone } } }", as_="norole")
    assert seen["viewer"]["user"] == {"timeZone": "Europe/Paris", "mobilePhone": "+33 6 12 34 56 78"}


async def test_bad_profile_input_changes_nothing(api: Api, db: Database) -> None:
    before = await table_counts(db)
    bad = await api.mutate("updateMyProfile", {"timeZone": "Nowhere/Land", "mobilePhone": "+1 555 0000"},
                           "user { id }", as_="sales1")
    assert [e["code"] for e in bad["errors"]] == ["VALIDATION"] and bad["errors"][0]["field"] == ["input", "timeZone"]
    assert (await api("{ viewer { user { mobilePhone } } }", as_="sales1"))["viewer"]["user"]["mobilePhone"] is None
    assert await table_counts(db) == before


async def test_personal_tokens_are_shown_once_listed_without_secret_and_revoked(api: Api) -> None:
    made = await api.ok("createMyToken", {"label": "laptop script"}, "secret token { id label }", as_="sales2")
    secret, token_id = made["secret"], made["token"]["id"]
    assert secret.startswith("rel_") and made["token"]["label"] == "laptop script"
    api.tokens["script"] = secret
    assert (await api("{ viewer { user { email } } }", as_="script"))["viewer"]["user"]["email"] == "sales2@test.relate"
    listed = (await api(TOKENS, as_="sales2"))["myTokens"]
    assert [t["label"] for t in listed] == ["laptop script", None]
    assert secret not in str(listed)
    assert (await api(TOKENS, as_="sales1"))["myTokens"][0]["id"] != token_id  # each lists their own
    others = await api.mutate("revokeMyToken", {"id": token_id}, "revokedId", as_="sales1")
    assert [e["code"] for e in others["errors"]] == ["NOT_FOUND"]
    await api.ok("revokeMyToken", {"id": token_id}, "revokedId", as_="sales2")
    refused = await api.raw("{ viewer { user { email } } }", as_="script")
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    assert [t["label"] for t in (await api(TOKENS, as_="sales2"))["myTokens"]] == [None]
