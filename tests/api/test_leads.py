"""Leads over the API: R-LEAD-1 (qualify), R-REC-2 (a closed lead is read-only), R-TL-2
(a qualified lead's activities show on the opportunity's timeline), R-REC-4, R-SEC-1,
R-API-1, R-API-2."""

from __future__ import annotations

from typing import Any

from graph.db import Database
from tests.support.client import Api
from tests.support.org import Org
from tests.support.record_factories import account, contact, record_row, table_counts

LEAD = ("id name topic firstName lastName fullName companyName email businessPhone mobilePhone jobTitle "
        "source state statusReason version address { city } qualifiedOpportunity { id }")
QUALIFIED = ("lead { id state statusReason qualifiedOpportunity { id topic } } "
             "account { id name phone address { city } } "
             "contact { id firstName lastName email businessPhone account { id } } "
             "opportunity { id topic state customer { __typename id } originatingLead { id } }")
TIMELINE = """query($id: ID!) { timeline(recordId: $id) {
  totalCount edges { relation node { __typename ... on Task { id subject } } } } }"""


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def lead(api: Api, *, as_: str = "sales1", **fields: Any) -> dict[str, Any]:
    values = {"topic": "50 bikes for the spring", "firstName": "Chris", "lastName": "Preston",
              "companyName": "Import Sports", "email": "chris@import.example", "businessPhone": "+1 555 0101",
              "address": {"city": "Oslo"}, "acknowledgeWarnings": True, **fields}  # the same person, on purpose
    payload = await api.ok("createLead", values, f"lead {{ {LEAD} }}", as_=as_)
    return payload["lead"]


async def task(api: Api, regarding: str, subject: str = "Call back", *, as_: str = "sales1") -> dict[str, Any]:
    payload = await api.ok("createTask", {"subject": subject, "regardingId": regarding}, "task { id }", as_=as_)
    return payload["task"]


async def timeline(api: Api, record_id: str, *, as_: str = "admin") -> dict[str, str]:
    """Task id -> relation (DIRECT or RELATED) on the record's timeline."""
    data = await api(TIMELINE, {"id": record_id}, as_=as_)
    return {e["node"]["id"]: e["relation"] for e in data["timeline"]["edges"] if e["node"]["__typename"] == "Task"}


# --- creating and updating ------------------------------------------------------------------


async def test_a_lead_is_created_open_with_its_person_and_company(api: Api) -> None:
    made = await lead(api)
    assert made["name"] == made["fullName"] == "Chris Preston"
    assert (made["topic"], made["companyName"], made["source"], made["state"], made["version"]) == (
        "50 bikes for the spring", "Import Sports", "MANUAL", "OPEN", 1)
    assert made["address"] == {"city": "Oslo"} and made["qualifiedOpportunity"] is None


async def test_a_lead_needs_a_topic_and_a_last_name_and_nothing_is_written(api: Api, db: Database) -> None:
    before = await table_counts(db)
    payload = await api.mutate("createLead", {"topic": " ", "lastName": "", "email": "nope"}, "lead { id }")
    assert payload["lead"] is None
    assert sorted(codes(payload)) == [("VALIDATION", ["input", "email"]), ("VALIDATION", ["input", "lastName"]),
                                      ("VALIDATION", ["input", "topic"])]
    assert await table_counts(db) == before


async def test_r_api_1_update_lead_with_a_stale_version_is_a_conflict(api: Api, db: Database) -> None:
    made = await lead(api)
    payload = await api.ok("updateLead", {"id": made["id"], "expectedVersion": 1, "jobTitle": "Buyer",
                                          "source": "WEB"}, "lead { jobTitle source version }", as_="sales1")
    assert payload["lead"] == {"jobTitle": "Buyer", "source": "WEB", "version": 2}
    stale = await api.mutate("updateLead", {"id": made["id"], "expectedVersion": 1, "jobTitle": "CEO"},
                             "lead { id }", as_="sales1")
    assert codes(stale) == [("CONFLICT", ["input", "expectedVersion"])]
    assert (await record_row(db, made["id"]))["job_title"] == "Buyer"


async def test_r_api_2_repeating_create_lead_returns_the_first_lead(api: Api, db: Database) -> None:
    first = await lead(api, clientMutationId="lead-1")
    before = await table_counts(db)
    again = await lead(api, clientMutationId="lead-1")
    assert again["id"] == first["id"]
    assert await table_counts(db) == before


# --- R-LEAD-1: qualify ----------------------------------------------------------------------


async def test_r_lead_1_qualify_creates_account_contact_and_opportunity(api: Api) -> None:
    made = await lead(api)
    payload = await api.ok("qualifyLead", {"leadId": made["id"], "createAccount": True, "createContact": True,
                                           "createOpportunity": True}, QUALIFIED, as_="sales1")
    acc, person, deal = payload["account"], payload["contact"], payload["opportunity"]
    assert (acc["name"], acc["phone"], acc["address"]) == ("Import Sports", "+1 555 0101", {"city": "Oslo"})
    assert (person["firstName"], person["lastName"], person["email"], person["businessPhone"]) == (
        "Chris", "Preston", "chris@import.example", "+1 555 0101")
    assert person["account"] == {"id": acc["id"]}
    assert deal["topic"] == "50 bikes for the spring" and deal["state"] == "OPEN"
    assert deal["customer"] == {"__typename": "Account", "id": acc["id"]}
    assert deal["originatingLead"] == {"id": made["id"]}
    assert payload["lead"] == {"id": made["id"], "state": "QUALIFIED", "statusReason": "QUALIFIED",
                               "qualifiedOpportunity": {"id": deal["id"], "topic": "50 bikes for the spring"}}


async def test_r_lead_1_r_tl_2_the_leads_activities_show_on_the_new_opportunitys_timeline(api: Api) -> None:
    made = await lead(api)
    call_back = await task(api, made["id"])
    payload = await api.ok("qualifyLead", {"leadId": made["id"], "createAccount": True, "createContact": True,
                                           "createOpportunity": True}, QUALIFIED, as_="sales1")
    deal, acc = payload["opportunity"], payload["account"]
    assert await timeline(api, made["id"]) == {call_back["id"]: "DIRECT"}
    assert await timeline(api, deal["id"]) == {call_back["id"]: "RELATED"}
    # The opportunity rolls up to its account, so the lead's history reaches the company too.
    assert await timeline(api, acc["id"]) == {call_back["id"]: "RELATED"}
    # New work on the deal shows beside the lead's history.
    proposal = await task(api, deal["id"], "Send the proposal")
    assert await timeline(api, deal["id"]) == {call_back["id"]: "RELATED", proposal["id"]: "DIRECT"}


async def test_r_lead_1_qualify_links_existing_records(api: Api) -> None:
    acc = await account(api, "Import Sports", as_="sales1")
    person = await contact(api, "Chris", "Preston", accountId=acc["id"], as_="sales1")
    made = await lead(api)
    call_back = await task(api, made["id"])
    deal = (await api.ok("createOpportunity", {"topic": "Spring order", "customerId": person["id"]},
                         "opportunity { id }", as_="sales1"))["opportunity"]
    payload = await api.ok("qualifyLead", {"leadId": made["id"], "existingAccountId": acc["id"],
                                           "existingContactId": person["id"], "existingOpportunityId": deal["id"]},
                           QUALIFIED, as_="sales1")
    assert payload["account"]["id"] == acc["id"] and payload["contact"]["id"] == person["id"]
    assert payload["opportunity"]["id"] == deal["id"]
    assert payload["opportunity"]["originatingLead"] == {"id": made["id"]}
    assert payload["lead"]["qualifiedOpportunity"]["id"] == deal["id"]
    # Lead -> opportunity -> contact -> account: the whole chain shows the lead's task.
    for record_id in (deal["id"], person["id"], acc["id"]):
        assert await timeline(api, record_id) == {call_back["id"]: "RELATED"}


async def test_r_lead_1_qualify_with_only_an_account_and_a_contact_leaves_no_opportunity(api: Api) -> None:
    made = await lead(api)
    payload = await api.ok("qualifyLead", {"leadId": made["id"], "createAccount": True, "createContact": True},
                           QUALIFIED, as_="sales1")
    assert payload["opportunity"] is None and payload["lead"]["qualifiedOpportunity"] is None
    assert payload["contact"]["account"] == {"id": payload["account"]["id"]}
    assert payload["lead"]["state"] == "QUALIFIED"


async def test_r_lead_1_bad_choices_are_refused_and_nothing_is_written(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    made = await lead(api, companyName=None)
    before = await table_counts(db)
    payload = await api.mutate("qualifyLead", {"leadId": made["id"], "createAccount": True,
                                               "existingAccountId": acc["id"]}, "lead { id }", as_="sales1")
    assert sorted(codes(payload)) == [("VALIDATION", ["input", "createAccount"]),
                                      ("VALIDATION", ["input", "existingAccountId"])]
    payload = await api.mutate("qualifyLead", {"leadId": made["id"], "existingAccountId": made["id"]},
                               "lead { id }", as_="sales1")
    assert codes(payload) == [("VALIDATION", ["input", "existingAccountId"])]
    assert await table_counts(db) == before
    assert (await record_row(db, made["id"]))["state"] == "OPEN"


async def test_r_rec_2_qualify_refuses_a_deactivated_account_and_writes_nothing(api: Api, db: Database) -> None:
    acc = await account(api, "Import Sports")
    await api.ok("deactivateRecord", {"id": acc["id"]}, "record { id }")
    made = await lead(api)
    before = await table_counts(db)
    payload = await api.mutate("qualifyLead", {"leadId": made["id"], "existingAccountId": acc["id"],
                                               "createContact": True, "createOpportunity": True},
                               "lead { id }", as_="sales1")
    assert codes(payload) == [("DEACTIVATED", ["input", "existingAccountId"])]
    assert await table_counts(db) == before


async def test_r_rec_2_a_qualified_lead_is_read_only(api: Api, db: Database) -> None:
    made = await lead(api)
    await api.ok("qualifyLead", {"leadId": made["id"], "createContact": True, "createOpportunity": True},
                 "lead { id }", as_="sales1")
    before = await table_counts(db)
    again = await api.mutate("qualifyLead", {"leadId": made["id"], "createOpportunity": True}, "lead { id }",
                             as_="sales1")
    assert codes(again) == [("INVALID_STATE", ["input", "leadId"])]
    update = await api.mutate("updateLead", {"id": made["id"], "jobTitle": "CEO"}, "lead { id }", as_="sales1")
    assert [c for c, _ in codes(update)] == ["DEACTIVATED"]
    on_it = await api.mutate("createTask", {"subject": "More", "regardingId": made["id"]}, "task { id }",
                             as_="sales1")
    assert [c for c, _ in codes(on_it)] == ["DEACTIVATED"]
    assert await table_counts(db) == before


async def test_qualify_refuses_a_new_opportunity_without_a_customer_and_writes_nothing(api: Api,
                                                                                       db: Database) -> None:
    made = await lead(api)
    before = await table_counts(db)
    payload = await api.mutate("qualifyLead", {"leadId": made["id"], "createOpportunity": True}, "lead { id }",
                               as_="sales1")
    assert codes(payload) == [("VALIDATION", ["input", "createOpportunity"])]
    assert "customer" in payload["errors"][0]["message"]
    assert await table_counts(db) == before


# --- disqualify -----------------------------------------------------------------------------


async def test_disqualify_records_the_reason_and_closes_the_lead(api: Api, db: Database) -> None:
    made = await lead(api)
    payload = await api.ok("disqualifyLead", {"leadId": made["id"], "reason": "NO_LONGER_INTERESTED"},
                           "lead { state statusReason version }", as_="sales1")
    assert payload["lead"] == {"state": "DISQUALIFIED", "statusReason": "NO_LONGER_INTERESTED", "version": 2}
    before = await table_counts(db)
    for name, values in (("disqualifyLead", {"leadId": made["id"], "reason": "LOST"}),
                         ("qualifyLead", {"leadId": made["id"], "createOpportunity": True})):
        refused = await api.mutate(name, values, "lead { id }", as_="sales1")
        assert codes(refused) == [("INVALID_STATE", ["input", "leadId"])]
    update = await api.mutate("updateLead", {"id": made["id"], "topic": "Back again"}, "lead { id }", as_="sales1")
    assert [c for c, _ in codes(update)] == ["DEACTIVATED"]
    assert await table_counts(db) == before


async def test_disqualify_needs_a_known_reason(api: Api) -> None:
    made = await lead(api)
    body = await api.raw("mutation($id: ID!) { disqualifyLead(input: {leadId: $id, reason: BORED}) { errors { code } } }",
                         {"id": made["id"]}, as_="sales1")
    assert body["errors"] and body.get("data") is None


# --- lists, node, quick find ----------------------------------------------------------------


async def lead_names(api: Api, args: str = "", *, as_: str = "admin") -> list[str]:
    data = await api(f"{{ leads{args} {{ totalCount nodes {{ name }} }} }}", as_=as_)
    found = [n["name"] for n in data["leads"]["nodes"]]
    assert data["leads"]["totalCount"] == len(found)
    return found


async def test_closed_leads_are_hidden_unless_include_inactive(api: Api) -> None:
    a = await lead(api, firstName="Ann", lastName="Open")
    b = await lead(api, firstName="Bo", lastName="Qualified")
    c = await lead(api, firstName="Cy", lastName="Disqualified", topic="Kayaks", source="WEB")
    await api.ok("qualifyLead", {"leadId": b["id"]}, "lead { id }", as_="sales1")
    await api.ok("disqualifyLead", {"leadId": c["id"], "reason": "CANNOT_CONTACT"}, "lead { id }", as_="sales1")
    assert await lead_names(api) == [a["name"]]
    assert await lead_names(api, "(includeInactive: true)") == ["Ann Open", "Bo Qualified", "Cy Disqualified"]
    assert await lead_names(api, "(filter: {states: [DISQUALIFIED]})") == ["Cy Disqualified"]
    assert await lead_names(api, '(includeInactive: true, filter: {text: "kayak"})') == ["Cy Disqualified"]
    assert await lead_names(api, "(includeInactive: true, filter: {sources: [WEB]})") == ["Cy Disqualified"]


async def test_leads_page_by_keyset_both_ways(api: Api) -> None:
    for last in ("Adams", "Baker", "Clark", "Davis", "Evans"):
        await lead(api, lastName=last)
    query = """query($after: String, $before: String, $first: Int, $last: Int) {
      leads(first: $first, after: $after, last: $last, before: $before, orderBy: [{field: NAME, direction: DESC}]) {
        edges { cursor node { lastName } } pageInfo { hasNextPage hasPreviousPage } } }"""
    page1 = (await api(query, {"first": 2}))["leads"]
    assert [e["node"]["lastName"] for e in page1["edges"]] == ["Evans", "Davis"]
    page2 = (await api(query, {"first": 2, "after": page1["edges"][-1]["cursor"]}))["leads"]
    assert [e["node"]["lastName"] for e in page2["edges"]] == ["Clark", "Baker"]
    assert page2["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": True}
    back = (await api(query, {"last": 2, "before": page2["edges"][0]["cursor"]}))["leads"]
    assert [e["node"]["lastName"] for e in back["edges"]] == ["Evans", "Davis"]


async def test_node_and_quick_find_return_leads(api: Api) -> None:
    made = await lead(api, lastName="Zebediah")
    data = await api("query($id: ID!) { node(id: $id) { __typename ... on Lead { topic } } }", {"id": made["id"]})
    assert data["node"] == {"__typename": "Lead", "topic": "50 bikes for the spring"}
    found = await api('{ quickFind(text: "zebed") { __typename id name } }', as_="sales2")
    assert found["quickFind"] == [{"__typename": "Lead", "id": made["id"], "name": "Chris Zebediah"}]


# --- R-SEC-1: permission depths as for accounts ---------------------------------------------


async def test_r_sec_1_lead_write_depths(api: Api, org: Org) -> None:
    made = await lead(api, as_="sales1")
    other = await api.mutate("updateLead", {"id": made["id"], "jobTitle": "X"}, "lead { id }", as_="sales2")
    assert codes(other) == [("FORBIDDEN", ["input", "id"])]
    other_unit = await api.mutate("qualifyLead", {"leadId": made["id"]}, "lead { id }", as_="service_manager")
    assert codes(other_unit) == [("FORBIDDEN", ["input", "leadId"])]
    nobody = await api.mutate("disqualifyLead", {"leadId": made["id"], "reason": "LOST"}, "lead { id }", as_="norole")
    assert codes(nobody) == [("NOT_FOUND", ["input", "leadId"])]
    assert await lead_names(api, as_="norole") == []
    manager = await api.ok("updateLead", {"id": made["id"], "jobTitle": "Buyer"}, "lead { jobTitle }", as_="manager")
    assert manager["lead"] == {"jobTitle": "Buyer"}
    team_owned = await api.ok("createLead", {"topic": "Team deal", "lastName": "Team", "ownerId": _team(org)},
                              "lead { id }", as_="sales1")
    mate = await api.ok("disqualifyLead", {"leadId": team_owned["lead"]["id"], "reason": "CANCELED"},
                        "lead { state }", as_="sales2")
    assert mate["lead"] == {"state": "DISQUALIFIED"}


def _team(org: Org) -> str:
    from tests.support.client import gid

    return gid("Team", org.team_id)
