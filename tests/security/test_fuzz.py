"""Fuzzing the live schema through the real app (R-API-3; see tests/security/fuzzing.py):
no response is a 500 or an unmasked/internal error, no exception escapes, and the database
invariants hold afterwards. The number of documents is printed.

RELATE_FUZZ_DOCUMENTS (SQLite), RELATE_FUZZ_DOCUMENTS_PG and RELATE_FUZZ_SEED (default: random,
printed) tune a run; the sizes default to the test profile's (tests/support/profile.py):
1,500 + 500 documents per CI run, fewer in a local `make test`.
bench/fuzz.py runs 20,000+.
"""

from __future__ import annotations

import os
import random

from graph.db import Database
from server.app import create_app
from tests.support.client import Api
from tests.support.databases import test_settings as app_settings
from tests.support.org import Org
from tests.support.profile import PROFILE, sized
from tests.security.fuzzing import FuzzResult, generated, invariants, post_all

import httpx
import pytest

DOCUMENTS = {"sqlite": sized("RELATE_FUZZ_DOCUMENTS", PROFILE.fuzz_documents_sqlite),
             "postgresql": sized("RELATE_FUZZ_DOCUMENTS_PG", PROFILE.fuzz_documents_postgresql)}


async def seed_rows(api: Api, org: Org) -> list[str]:
    """A few rows of each kind, so generated ids often name something real."""
    ids: list[str] = []
    account = (await api.ok("createAccount", {"name": "Fuzz Inc", "email": "hello@fuzz.example"}, "account { id }"))
    ids.append(account["account"]["id"])
    contact = await api.ok("createContact", {"firstName": "Fay", "lastName": "Fuzz", "accountId": ids[0],
                                             "email": "fay@fuzz.example", "businessPhone": "+1 555 0142"},
                           "contact { id }", as_="sales1")
    ids.append(contact["contact"]["id"])
    for name, values, result in (
        ("createLead", {"topic": "Fuzzing", "lastName": "Lee", "businessPhone": "+1 555 0143"}, "lead"),
        ("createOpportunity", {"topic": "Deal", "customerId": ids[0]}, "opportunity"),
        ("createCase", {"title": "Broken", "customerId": ids[1]}, "case"),
        ("createTask", {"subject": "Call Fay", "regardingId": ids[1]}, "task"),
        ("logPhoneCall", {"subject": "Called", "to": [{"partyId": ids[1]}]}, "phoneCall"),
        ("sendEmail", {"subject": "Hi", "to": [{"partyId": ids[1]}], "regardingId": ids[0]}, "email"),
        ("addNote", {"recordId": ids[0], "title": "Note"}, "note"),
        ("createSequence", {"name": "Fuzz steps", "steps": [{"kind": "TASK", "subject": "Do"}]}, "sequence"),
    ):
        payload = await api.ok(name, values, f"{result} {{ id }}", as_="manager" if name == "createSequence" else "sales1")
        ids.append(payload[result]["id"])
    ids += [api_user for api_user in (await api("{ viewer { user { id } teamIds } }", as_="sales1"))["viewer"]["teamIds"]]
    from resolvers.ids import to_global_id
    ids += [to_global_id("User", u) for u in org.users.values()]
    return ids


@pytest.mark.slow(35)
async def test_r_api_3_fuzzed_documents_never_fail_internally(db: Database, org: Org, tmp_path, backend: str) -> None:
    app = create_app(app_settings(file_store_dir=str(tmp_path / "files"), rate_limit_per_second=0), db=db)
    run_seed = int(os.environ.get("RELATE_FUZZ_SEED", random.randrange(2**32)))
    count = DOCUMENTS[backend]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relate.test") as http:
        api = Api(http, org.tokens)
        ids = await seed_rows(api, org)
        result = FuzzResult()
        rng = random.Random(run_seed)
        async for items in generated(ids, count, run_seed):
            await post_all(http, org.tokens, items, result, rng, ("admin", "admin", "manager", "sales1", "sales3", "norole"))
    problems = await invariants(db)
    print(f"\nfuzz ({backend}, seed {run_seed}): {result.documents} documents, statuses {dict(result.statuses)}, "
          f"{len(result.failures)} internal errors, {len(problems)} broken invariants; "
          f"error codes {dict(result.codes.most_common(8))}")
    assert result.documents >= count
    assert not result.failures, f"seed {run_seed}:\n" + "\n".join(result.failures[:20])
    assert not problems, "\n".join(problems)


async def test_r_api_3_an_upload_given_as_json_is_a_validation_error(api: Api) -> None:
    """Found by bench/fuzz.py: `importMail(input: {file: [...]})` in JSON variables was a 500-like
    INTERNAL error; an Upload variable can hold any JSON value, only a multipart part is a file."""
    cases = [
        ("importMail", "ImportMailInput", {"file": ["", "if", ""]}, ["input", "file"]),
        ("importMail", "ImportMailInput", {"file": "not a file"}, ["input", "file"]),
        ("trackEmail", "TrackEmailInput", {"messageId": "<f@fuzz.example>", "from": "a@fuzz.example",
                                           "attachments": [{"fileName": "a.txt", "file": {"x": 1}}]},
         ["input", "attachments", "0", "file"]),
    ]
    for name, type_name, value, path in cases:
        body = await api.raw(f"mutation($input: {type_name}!) {{ {name}(input: $input) {{ errors {{ code field }} }} }}",
                             {"input": value}, as_="sales1")
        assert "errors" not in body, body
        assert body["data"][name]["errors"] == [{"code": "VALIDATION", "field": path}], body
