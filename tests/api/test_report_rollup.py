"""`activityReport(rollup)` counts a record's activities as `timeline(rollup)` shows them
(R-RPT-1, R-TL-2): NONE its own, RELATED also what rolls up to it, EXTENDED also the
account tree below it — each activity once."""

from __future__ import annotations

from tests.support.client import Api
from tests.support.record_factories import account, contact

REPORT = """query($f: ActivityReportFilter!, $rollup: RollupType!) {
  activityReport(filter: $f, rollup: $rollup) { total } }"""
TIMELINE = "query($id: ID!, $rollup: RollupType!) { timeline(recordId: $id, rollup: $rollup) { totalCount } }"


async def test_the_report_counts_what_the_timeline_shows_for_each_rollup(api: Api) -> None:
    parent = await account(api, "Import Sports")
    child = await account(api, "Import Sports Oslo", parentAccountId=parent["id"])
    person = await contact(api, "Chris", "Preston", accountId=parent["id"])
    for subject, regarding in (("On the account", parent), ("On its contact", person), ("On the branch", child)):
        await api.ok("createTask", {"subject": subject, "regardingId": regarding["id"]}, "task { id }", as_="admin")
    totals = {}
    for rollup in ("NONE", "RELATED", "EXTENDED"):
        report = await api(REPORT, {"f": {"recordId": parent["id"]}, "rollup": rollup})
        timeline = await api(TIMELINE, {"id": parent["id"], "rollup": rollup})
        assert report["activityReport"]["total"] == timeline["timeline"]["totalCount"], rollup
        totals[rollup] = report["activityReport"]["total"]
    assert totals == {"NONE": 1, "RELATED": 2, "EXTENDED": 3}
    default = await api("query($f: ActivityReportFilter!) { activityReport(filter: $f) { total } }",
                        {"f": {"recordId": parent["id"]}})
    assert default["activityReport"]["total"] == 2
